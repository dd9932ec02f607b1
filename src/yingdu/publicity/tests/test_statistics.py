"""Public programme statistics: exact fen on a small fixture, computed at a signed checkpoint, no personal data."""

import base64
import json

import pytest
import time_machine
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.applications.models import ApplicationKind, ApplicationStatus
from yingdu.publicity.models import StatisticsSnapshot
from yingdu.publicity.selectors import programme_figures
from yingdu.publicity.services import statistics_snapshot_take
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work
from yingdu.testing.redemptions import redeem_with_code
from yingdu.transparency.models import SignedCheckpoint
from yingdu.vouchers.models import RedemptionStatus
from yingdu.vouchers.services import voucher_issue
from yingdu.works.models import Work

from .support import application_row, beijing

pytestmark = pytest.mark.django_db

NOW = beijing(2026, 6, 20, 12)
ENTERPRISE_NAME = "北京星河影业有限公司"


@pytest.fixture
def programme():
    """Two supported works (one micro-drama later topped up overseas, one short drama), one refused, one open; one
    confirmed and one pending redemption. The short drama is approved at 00:30 on 1 June, Beijing time, which is
    still 31 May in UTC."""
    member = make_user(username="zhangsan", email="zhangsan@example.com", display_name="张三")
    enterprise = make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)),
                                 name=ENTERPRISE_NAME, contact_name="李四", contact_phone="13800138000")
    micro = make_work(enterprise, title="星河迷途")
    short = make_work(enterprise, title="长河落日")
    Work.objects.filter(pk=short.pk).update(form="short_drama")
    refused, open_work = make_work(enterprise, title="未获支持"), make_work(enterprise, title="审核中")
    first = application_row(micro, amount_fen=1_234_567, decided_at=beijing(2026, 5, 4))
    application_row(short, amount_fen=2_000_000, decided_at=beijing(2026, 6, 1, 0, 30))
    application_row(micro, kind=ApplicationKind.OVERSEAS_TOPUP, overseas=True, topup_of=first, amount_fen=600_000,
                    decided_at=beijing(2026, 6, 2))
    application_row(refused, status=ApplicationStatus.REJECTED, amount_fen=999_999, decided_at=beijing(2026, 6, 3))
    application_row(open_work, status=ApplicationStatus.UNDER_REVIEW, amount_fen=777_777)
    approver = verified(make_staff(Role.APPROVER))
    voucher = voucher_issue(enterprise=enterprise, work_id=micro.pk, application_id=first.pk, amount_fen=1_234_567,
                            actor=approver, now=beijing(2026, 5, 4, 11))
    metered = make_metering_provider()
    confirmed = redeem_with_code(provider=metered.provider, voucher=voucher, order_ref="ORDER-1", amount_fen=100_001,
                                 actor=metered.operator, max_amount_fen=100_001, now=beijing(2026, 5, 6))
    pending = redeem_with_code(provider=metered.provider, voucher=voucher, order_ref="ORDER-2", amount_fen=50_000,
                               actor=metered.operator, now=beijing(2026, 6, 8))
    assert confirmed.redemption.status == RedemptionStatus.CONFIRMED
    assert pending.redemption.status == RedemptionStatus.PENDING
    return enterprise


EXPECTED = {
    "totals": {"works_supported": 2, "awards": 3, "approved_fen": 3_834_567, "redemptions": 1,
               "redeemed_fen": 100_001},
    "by_month": [
        {"month": "2026-05", "works_supported": 1, "approved_fen": 1_234_567, "redeemed_fen": 100_001},
        {"month": "2026-06", "works_supported": 1, "approved_fen": 2_600_000, "redeemed_fen": 0},
    ],
    "by_form": [
        {"form": "micro_drama", "works_supported": 1, "approved_fen": 1_834_567},
        {"form": "short_drama", "works_supported": 1, "approved_fen": 2_000_000},
    ],
    "by_overseas": [
        {"overseas": False, "works_supported": 1, "approved_fen": 2_000_000},
        {"overseas": True, "works_supported": 1, "approved_fen": 1_834_567},
    ],
}


def test_figures_are_exact_in_fen_by_beijing_month_form_and_overseas(programme):
    assert programme_figures() == EXPECTED


def test_an_empty_programme_has_zero_figures_not_missing_ones(db):
    figures = programme_figures()
    assert figures["totals"] == {"works_supported": 0, "awards": 0, "approved_fen": 0, "redemptions": 0,
                                 "redeemed_fen": 0}
    assert figures["by_month"] == []
    assert [row["approved_fen"] for row in figures["by_form"] + figures["by_overseas"]] == [0, 0, 0, 0]


def test_snapshot_is_taken_at_a_signed_checkpoint_of_the_current_log(programme):
    snapshot = statistics_snapshot_take(now=NOW)
    checkpoint = SignedCheckpoint.objects.get(tree_size=snapshot.tree_size)
    assert bytes(checkpoint.root_hash) == bytes(snapshot.root_hash)
    assert snapshot.figures == EXPECTED
    # nothing appended since: the same snapshot, no second row
    assert statistics_snapshot_take(now=NOW).tree_size == snapshot.tree_size
    assert StatisticsSnapshot.objects.count() == 1


def test_a_later_approval_shows_only_in_the_next_snapshot(programme):
    first = statistics_snapshot_take(now=NOW)
    later = make_work(programme, title="新作品")
    application_row(later, amount_fen=100, decided_at=beijing(2026, 6, 10))
    make_metering_provider()  # appends entries: the log grows
    client = Client()
    assert client.get("/api/v1/statistics").json()["totals"]["approved_fen"] == 3_834_567
    second = statistics_snapshot_take(now=NOW)
    assert second.tree_size > first.tree_size
    assert second.figures["totals"]["approved_fen"] == 3_834_667
    answer = client.get("/api/v1/statistics").json()
    assert answer["checkpoint"]["tree_size"] == second.tree_size
    # the earlier figures stay available at their checkpoint
    assert client.get(f"/api/v1/statistics/at/{first.tree_size}").json()["totals"]["approved_fen"] == 3_834_567


def test_api_gives_fen_and_the_checkpoint_it_was_computed_at(programme):
    snapshot = statistics_snapshot_take(now=NOW)
    answer = Client().get("/api/v1/statistics").json()
    assert {key: answer[key] for key in EXPECTED} == EXPECTED
    assert answer["checkpoint"] == {"tree_size": snapshot.tree_size,
                                    "root_hash": base64.b64encode(bytes(snapshot.root_hash)).decode(),
                                    "url": "/api/v1/log/checkpoint"}


def test_unknown_checkpoint_is_not_found_with_its_code(db):
    answer = Client().get("/api/v1/statistics/at/999999")
    assert answer.status_code == 404 and answer.json()["code"] == "statistics_not_found"
    assert Client().get("/api/v1/statistics/at/-1").status_code == 400


def test_first_request_on_a_new_installation_computes_the_figures(programme):
    assert not StatisticsSnapshot.objects.exists()
    answer = Client().get("/api/v1/statistics")
    assert answer.status_code == 200 and answer.json()["totals"]["redeemed_fen"] == 100_001
    assert StatisticsSnapshot.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_page_shows_yuan_charts_and_checkpoint_without_login(programme):
    snapshot = statistics_snapshot_take(now=NOW)
    page = Client().get("/transparency/statistics/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "38,345.67" in html and "1,000.01" in html and "26,000.00" in html
    assert f'data-testid="checkpoint-size">{snapshot.tree_size}<' in html
    assert bytes(snapshot.root_hash).hex() in html
    assert "vendor/echarts/echarts.min.js" in html and "yingdu/statistics.js" in html
    assert "<script>" not in html  # CSP: no inline script, the data is a json_script
    charts = json.loads(html.split('id="statistics-chart-data" type="application/json">')[1].split("</script>")[0])
    assert charts["months"]["categories"] == ["2026-05", "2026-06"]
    assert charts["months"]["series"][0]["data"] == ["12345.67", "26000.00"]
    assert "项目统计" in Client().get("/").content.decode()  # in the public navigation


@time_machine.travel(NOW, tick=False)
def test_no_personal_data_and_no_enterprise_in_the_statistics(programme):
    statistics_snapshot_take(now=NOW)
    html = Client().get("/transparency/statistics/").content.decode()
    api = Client().get("/api/v1/statistics").content.decode("utf-8")
    for text in (html, api):
        for personal in ("zhangsan", "张三", "李四", "13800138000", ENTERPRISE_NAME, programme.uscc, "星河迷途"):
            assert personal not in text


def test_worker_recomputes_only_when_the_log_grew(programme):
    from yingdu.publicity.tasks import _log_grew_since_snapshot

    assert _log_grew_since_snapshot()
    statistics_snapshot_take(now=NOW)
    assert not _log_grew_since_snapshot()
    make_metering_provider()
    assert _log_grew_since_snapshot()
