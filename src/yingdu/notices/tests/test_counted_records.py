"""The notice, the quote and the usage page agree on the records that count for a work (issue 14, item 1)."""

import itertools
import re
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yingdu.accounts.models import Role
from yingdu.applications import services as applications
from yingdu.applications.eligibility import verified_cost
from yingdu.applications.tests.support import declare, draft, release
from yingdu.metering import services as metering
from yingdu.metering.anomalies import yuan_display
from yingdu.metering.counting import work_counted_records
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import RecordStatus, UsageRecord
from yingdu.notices import services
from yingdu.notices.models import DataNotice, ObjectionStatus
from yingdu.policy.selectors import policy_version_require_in_force
from yingdu.push import signed_batch
from yingdu.rules.money import round_fen
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work
from yingdu.testing.factories import usage_record as raw_record

from .conftest import SHANGHAI, at, evidence

pytestmark = pytest.mark.django_db

MICRO = Decimal("0.000001")
_members = itertools.count(1)


def ingest(meter, uscc, specs, *, now) -> list[UsageRecord]:
    """specs: (project tag, quantity, started_at ISO text) each; the stored rows in order."""
    raw = [raw_record(uscc, tag, quantity=quantity, started_at=started_at,
                      ended_at=(datetime.fromisoformat(started_at) + timedelta(minutes=30)).isoformat())
           for tag, quantity, started_at in specs]
    body = signed_batch(raw, meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                       batch_signature=body["batch_signature"], now=now)
    return [UsageRecord.objects.get(provider=meter.provider, record_id=r["record_id"]) for r in raw]


def fen(microfen: int) -> int:
    return round_fen(Fraction(microfen, 1_000_000))


def test_the_probe_an_attributed_record_is_on_the_notice_and_the_notice_equals_the_approved_base():
    """22 records of 24,840.00 yuan and one quarantined record of 20.00 yuan that a reviewer attributed to the
    work: the data notice issued at review start lists 23 records, 24,860.00 yuan, the approved base."""
    now = at("2026-09-21 10:00")
    reviewer, attributor = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.REVIEWER))
    approver = verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(verified_by=reviewer)
    work = declare(enterprise, now=now)
    release(work, now=now)
    meter = make_metering_provider(price_fen=800)
    # 21 records of 1,000.00 yuan (125 card-hours) and one of 3,840.00 yuan, then the mistagged one of 20.00 yuan
    specs = [(work.project_tag, "125", f"2026-03-{day:02d}T09:00:00+08:00") for day in range(1, 22)]
    specs += [(work.project_tag, "480", "2026-03-22T09:00:00+08:00"),
              ("typo-tag", "2.5", "2026-03-23T09:00:00+08:00")]
    *_tagged, typo = ingest(meter, enterprise.uscc, specs, now=now)
    assert typo.status == RecordStatus.QUARANTINED
    metering.usage_record_attach(record=typo, work=work, actor=attributor, reason="服务商确认项目标签填错",
                                 now=now)
    member = verified(enterprise.registered_by)
    application = draft(work, now=now)
    application = applications.application_submit(application=application, actor=member, now=now)
    application = applications.application_accept(application=application, actor=reviewer, now=now)
    application = applications.application_start_review(application=application, actor=reviewer, now=now)
    application = applications.application_approve(application=application, actor=approver, now=now,
                                                   reason="符合条件")
    notice = DataNotice.objects.get(work=work)
    assert typo in notice.records.all()
    assert (notice.record_count, notice.cost_microfen) == (23, 2_486_000 * 1_000_000)
    assert fen(notice.cost_microfen) == application.verified_cost_fen == 2_486_000
    assert application.approved_amount_fen == 745_800  # 30 % of 24,860.00


def test_an_upheld_objection_on_an_attributed_record_lowers_the_attributed_works_cost(world):
    [typo] = ingest(world.meter, world.enterprise.uscc, [("typo-tag", "5", "2026-09-13T09:00:00+08:00")],
                    now=at("2026-09-20 13:00"))
    attributor = verified(make_staff(Role.REVIEWER))
    metering.usage_record_attach(record=typo, work=world.work, actor=attributor, reason="标签笔误",
                                 now=at("2026-09-21 10:00"))
    notice = services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                        period_end_on=date(2026, 9, 23), actor=world.reviewer,
                                        now=at("2026-09-24 10:00"))
    assert typo in notice.records.all() and notice.cost_microfen == 21_500_000 * 800
    objection = services.objection_file(notice=notice, explanation="该记录只用了 2 卡时。", evidence=[evidence()],
                                        claims=[(typo.pk, "2")], actor=world.member, now=at("2026-09-28 10:00"))
    services.objection_decide(objection=objection, decision="uphold", reason="核实属实。", actor=world.reviewer,
                              now=at("2026-10-12 10:00"))
    correction = UsageRecord.objects.get(corrects=typo)
    later = services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                       period_end_on=date(2026, 9, 30), actor=world.reviewer,
                                       now=at("2026-10-13 10:00"))
    assert correction in later.records.all() and later.cost_microfen == 18_500_000 * 800
    version = policy_version_require_in_force(on=date(2026, 10, 13))
    assert verified_cost(world.work, rounding_rule=version.rounding_rule).fen == fen(later.cost_microfen)


def usage_page_costs(member) -> dict[str, str]:
    """Work title → the cost (yuan) shown on the enterprise's live usage page."""
    html = client_for(member).get(reverse("metering:usage_live")).content.decode()
    table = html.split("</table>", 1)[0]
    return dict(re.findall(r'<tr><td data-label="[^"]*">([^<]*)</td><td[^>]*>\d+</td><td[^>]*>([^<]*)</td></tr>',
                           table))


quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(500), places=2)
days = st.integers(min_value=1, max_value=30)
hours = st.integers(min_value=0, max_value=23)
records = st.lists(st.tuples(quantities, days, hours), max_size=5)
histories = st.fixed_dictionaries({
    "accepted": records, "attributed": records, "unattributed": st.lists(st.tuples(quantities, days, hours),
                                                                          max_size=2),
    "other_work": records,
    # (which counted original, the share of its quantity the upheld objection leaves, in %)
    "corrections": st.lists(st.tuples(st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=99)),
                            max_size=3),
})

WINDOW = (date(2026, 9, 5), date(2026, 9, 25))
PRICE_CHANGE = datetime.fromisoformat("2026-09-15T00:00:00+08:00")


def started(day: int, hour: int) -> str:
    return f"2026-09-{day:02d}T{hour:02d}:00:00+08:00"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories)
def test_notice_total_equals_the_quoted_verified_cost_and_the_usage_page(history):
    reviewer, decider = verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.REVIEWER))
    member = make_user(email=f"m{next(_members)}@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    member = verified(member)
    work = make_work(enterprise, tag="drama-p", start=WINDOW[0], end=WINDOW[1], title="主作品")
    make_work(enterprise, tag="drama-q", start=date(2026, 9, 1), end=date(2026, 9, 30), title="另一部")
    meter = make_metering_provider(price_fen=800)
    long_ago = datetime.fromisoformat("2020-01-01T00:00:00+00:00")
    metering.catalogue_price_add(provider=meter.provider, sku=meter.sku, name="A100 卡时", category="compute",
                                 unit="卡时", price_fen=1234, effective_from=PRICE_CHANGE, actor=meter.operator,
                                 now=long_ago)
    specs = ([("drama-p", str(q), started(d, h)) for q, d, h in history["accepted"]]
             + [("typo", str(q), started(d, h)) for q, d, h in history["attributed"]]
             + [("typo", str(q), started(d, h)) for q, d, h in history["unattributed"]]
             + [("drama-q", str(q), started(d, h)) for q, d, h in history["other_work"]])
    rows = ingest(meter, enterprise.uscc, specs, now=at("2026-10-01 10:00")) if specs else []
    accepted = rows[:len(history["accepted"])]
    attributed = rows[len(accepted):len(accepted) + len(history["attributed"])]
    for row in attributed:
        metering.usage_record_attach(record=row, work=work, actor=reviewer, reason="标签笔误",
                                     now=at("2026-10-01 11:00"))

    # the independent oracle: each original in the window at its effective quantity, priced at its start
    def in_window(row) -> bool:
        return WINDOW[0] <= row.started_at.astimezone(SHANGHAI).date() <= WINDOW[1]

    effective = {row.pk: row.quantity for row in accepted + attributed if in_window(row)}
    corrections = {}
    originals = sorted(effective)
    for which, share in history["corrections"]:
        if originals:
            pk = originals[which % len(originals)]
            corrections[pk] = (effective[pk] * share / 100).quantize(MICRO, rounding=ROUND_DOWN)
    corrections = {pk: quantity for pk, quantity in corrections.items() if quantity != effective[pk]}
    if corrections:
        first = services.data_notice_issue(work=work, period_start_on=date(2026, 9, 1),
                                           period_end_on=date(2026, 9, 30), actor=reviewer,
                                           now=at("2026-10-08 10:00"))
        objection = services.objection_file(
            notice=first, explanation="部分记录多计。", evidence=[evidence()], actor=member, now=at("2026-10-09 11:00"),
            claims=[(pk, format(quantity, "f")) for pk, quantity in corrections.items()])
        decided = services.objection_decide(objection=objection, decision="uphold", reason="核实属实。",
                                            actor=decider, now=at("2026-10-12 10:00"))
        assert decided.status == ObjectionStatus.UPHELD
        effective.update(corrections)
    by_pk = {row.pk: row for row in rows}
    expected_microfen = sum(
        int(quantity.scaleb(6)) * (1234 if by_pk[pk].started_at >= PRICE_CHANGE else 800)
        for pk, quantity in effective.items())

    notice = services.data_notice_issue(work=work, period_start_on=date(2026, 9, 1), period_end_on=date(2026, 9, 30),
                                        actor=reviewer, now=at("2026-10-20 10:00"))
    version = policy_version_require_in_force(on=date(2026, 10, 20))
    quoted = verified_cost(work, rounding_rule=version.rounding_rule)
    assert notice.cost_microfen == expected_microfen
    assert fen(notice.cost_microfen) == quoted.fen
    assert set(notice.records.all()) == set(work_counted_records(work))
    shown = usage_page_costs(member)
    if notice.record_count:
        assert shown["主作品"] == yuan_display(notice.cost_microfen) == quoted.format_display()
    else:
        assert "主作品" not in shown
