"""The usage record lists: filters, keyset pages, the stored attributed enterprise, the export (issue 16.3, 18.1)."""

import io
from datetime import UTC, datetime

import pytest
from django.test import Client
from openpyxl import load_workbook

from yingdu.accounts.models import Role
from yingdu.audits.dbaudit import db_audit
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import RecordStatus, UsageRecord
from yingdu.metering.services import usage_record_attach
from yingdu.push import signed_batch
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def ingest(meter, records, *, now=NOW):
    body = signed_batch(records, meter.private_key)
    return usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                              batch_signature=body["batch_signature"], now=now)


@pytest.fixture
def two_enterprises():
    reviewer = verified(make_staff(Role.REVIEWER))
    mine = make_enterprise(verified_by=reviewer)
    theirs = make_enterprise(verified_by=reviewer)
    work = make_work(mine, tag="mine-drama", title="我的剧")
    other_work = make_work(theirs, tag="their-drama", title="他们的剧")
    meter = make_metering_provider()
    return reviewer, mine, theirs, work, other_work, meter


def _ids(response) -> list[str]:
    return [row["record_id"] for row in response.json()]


def _page_ids(response) -> list[str]:
    return [record.record_id for record in response.context["listing"].rows]


def test_the_records_page_reaches_every_record_through_stable_keyset_pages(two_enterprises):
    _reviewer, mine, _theirs, _work, _other, meter = two_enterprises
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id=f"r{n:03}") for n in range(120)])
    client = client_for(mine.registered_by)
    first = client.get("/metering/usage/records/")
    assert first.status_code == 200
    seen = _page_ids(first)
    assert seen == [f"r{n:03}" for n in range(119, 69, -1)]
    next_after = first.context["listing"].keyset.next_after
    # records arriving while the user pages are newer: they do not shift the later pages
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id=f"new{n}") for n in range(7)])
    while next_after is not None:
        page = client.get(f"/metering/usage/records/?after={next_after}")
        assert page.status_code == 200
        seen += _page_ids(page)
        next_after = page.context["listing"].keyset.next_after
    assert seen == [f"r{n:03}" for n in range(119, -1, -1)]
    assert b'rel="first"' in page.content and b'rel="next"' not in page.content


@pytest.mark.parametrize("after", ["abc", "-3", "0", "1.5", "99999999999999999999", "１２"])
def test_a_bad_cursor_is_a_400_with_its_code_on_the_api_and_an_error_on_the_page(two_enterprises, after):
    _reviewer, mine, _theirs, _work, _other, meter = two_enterprises
    page = client_for(mine.registered_by).get("/metering/usage/records/", {"after": after})
    assert page.status_code == 400 and page.context["listing"].rows == []
    assert "翻页位置无效" in page.content.decode()
    response = Client().get("/api/v1/usage-records", {"after": after}, HTTP_X_API_KEY=meter.api_key)
    assert response.status_code == 400 and response.json()["code"] in ("cursor_invalid", "invalid_request")


def test_the_api_gives_a_next_cursor_and_its_pages_are_complete_while_rows_arrive(two_enterprises):
    _reviewer, mine, _theirs, _work, _other, meter = two_enterprises
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id=f"r{n:02}") for n in range(25)])
    client = client_for(mine.registered_by)
    response = client.get("/api/v1/usage-records", {"limit": 10})
    seen = _ids(response)
    while "X-Next-After" in response.headers:
        assert response.headers["Link"].endswith(f'after={response.headers["X-Next-After"]}>; rel="next"')
        ingest(meter, [usage_record(mine.uscc, "mine-drama")])
        response = client.get("/api/v1/usage-records", {"limit": 10, "after": response.headers["X-Next-After"]})
        seen += _ids(response)
    assert seen == [f"r{n:02}" for n in range(24, -1, -1)]
    # offset still works, and cannot be mixed with a cursor
    assert _ids(client.get("/api/v1/usage-records", {"limit": 3, "offset": 5})) == _ids(
        client.get("/api/v1/usage-records", {"limit": 8}))[5:]
    mixed = client.get("/api/v1/usage-records", {"after": 5, "offset": 2})
    assert mixed.status_code == 400 and mixed.json()["code"] == "cursor_with_offset"


def test_filters_narrow_by_status_sku_dates_and_uscc_within_what_the_user_sees(two_enterprises):
    _reviewer, mine, theirs, work, _other, meter = two_enterprises
    ingest(meter, [
        usage_record(mine.uscc, "mine-drama", record_id="nov-20"),
        usage_record(mine.uscc, "mine-drama", record_id="nov-22", started_at="2026-11-22T00:30:00+08:00",
                     ended_at="2026-11-22T01:00:00+08:00"),
        usage_record(mine.uscc, "typo-tag", record_id="quarantined"),
        usage_record(theirs.uscc, "their-drama", record_id="theirs"),
    ])
    client = client_for(mine.registered_by)

    def page(**query):
        response = client.get("/metering/usage/records/", query)
        assert response.status_code == 200, response.context["listing"].form.errors
        return sorted(_page_ids(response))

    assert page() == ["nov-20", "nov-22", "quarantined"]
    assert page(status=RecordStatus.QUARANTINED) == ["quarantined"]
    assert page(work=work.pk) == ["nov-20", "nov-22"]
    # 00:30 in Beijing on the 22nd is the 21st in UTC: dates are Beijing dates
    assert page(started_from="2026-11-22") == ["nov-22"]
    assert page(started_to="2026-11-21") == ["nov-20", "quarantined"]
    assert page(record_id="nov-20") == ["nov-20"]
    # another enterprise's USCC or record id reveals nothing
    assert page(enterprise_uscc=theirs.uscc) == []
    assert page(record_id="theirs") == []
    api = client.get("/api/v1/usage-records", {"enterprise_uscc": theirs.uscc})
    assert api.status_code == 200 and api.json() == []
    assert _ids(client.get("/api/v1/usage-records", {"started_from": "2026-11-22"})) == ["nov-22"]


def test_another_enterprises_work_or_a_bad_value_is_an_error_beside_the_field_not_a_wider_list(two_enterprises):
    _reviewer, mine, _theirs, _work, other_work, meter = two_enterprises
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id="a")])
    client = client_for(mine.registered_by)
    for query, field in (({"work": other_work.pk}, "work"), ({"status": "nonsense"}, "status"),
                         ({"started_from": "2026-13-45"}, "started_from"), ({"work": "x"}, "work"),
                         ({"started_to": "9999-12-31"}, "started_to"), ({"started_from": "0001-01-01"}, "started_from")):
        response = client.get("/metering/usage/records/", query)
        assert response.status_code == 400
        listing = response.context["listing"]
        assert listing.rows == [] and field in listing.form.errors
        assert 'class="error" role="alert"' in response.content.decode()
    api = client.get("/api/v1/usage-records", {"status": "nonsense"})
    assert api.status_code == 400 and api.json()["code"] == "filter_invalid"
    assert "status" in api.json()["detail"]["fields"]
    # the last representable day has no next day to bound it: refused as a field error, not a server error
    api = client.get("/api/v1/usage-records", {"started_to": "9999-12-31"})
    assert api.status_code == 400 and list(api.json()["detail"]["fields"]) == ["started_to"]
    assert client.get("/api/v1/usage-records", {"work_id": other_work.pk}).json() == []


def test_the_export_holds_the_filtered_selection(two_enterprises):
    _reviewer, mine, theirs, _work, _other, meter = two_enterprises
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id="keep", sku=meter.sku),
                   usage_record(mine.uscc, "typo-tag", record_id="drop"),
                   usage_record(theirs.uscc, "their-drama", record_id="theirs")])
    client = client_for(mine.registered_by)
    response = client.get("/metering/usage/records/export.xlsx", {"status": RecordStatus.ACCEPTED})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="usage-records-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    record_column = rows[0].index("记录编号")
    assert [row[record_column] for row in rows[1:]] == ["keep"]
    everything = load_workbook(io.BytesIO(client.get("/metering/usage/records/export.xlsx").content)).active
    assert sorted(row[record_column] for row in list(everything.iter_rows(values_only=True))[1:]) == ["drop", "keep"]
    assert client.get("/metering/usage/records/export.xlsx", {"status": "nonsense"}).status_code == 400


def test_a_provider_sees_its_own_records_without_a_provider_filter(two_enterprises):
    _reviewer, mine, _theirs, _work, _other, meter = two_enterprises
    other_meter = make_metering_provider()
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id="ours")])
    ingest(other_meter, [usage_record(mine.uscc, "mine-drama", record_id="other-provider")])
    response = client_for(meter.operator).get("/metering/usage/records/", {"provider": other_meter.provider.pk})
    assert response.status_code == 200 and "provider" not in response.context["listing"].form.fields
    assert _page_ids(response) == ["ours"]
    staff = client_for(verified(make_staff(Role.REVIEWER))).get("/metering/usage/records/",
                                                               {"provider": other_meter.provider.pk})
    assert _page_ids(staff) == ["other-provider"]


def test_attribution_moves_a_record_and_its_corrections_into_the_enterprises_indexed_view(two_enterprises):
    reviewer, mine, _theirs, work, _other, meter = two_enterprises
    unknown = make_enterprise(verified_by=reviewer)
    late_work = make_work(unknown, tag="late-drama")
    ingest(meter, [usage_record(unknown.uscc, "typo", record_id="typo")])
    record = UsageRecord.objects.get(record_id="typo")
    assert (record.attributed_enterprise_id, record.attributed_work_id) == (unknown.pk, None)
    ingest(meter, [usage_record(unknown.uscc, "typo", record_id="typo-fix", corrects="typo", quantity="-1")])
    usage_record_attach(record=record, work=late_work, actor=reviewer, reason="标签写错", now=NOW)
    rows = UsageRecord.objects.filter(record_id__in=["typo", "typo-fix"]).values_list("attributed_work_id", flat=True)
    assert list(rows) == [late_work.pk, late_work.pk]
    seen = client_for(unknown.registered_by).get("/api/v1/usage-records", {"work_id": late_work.pk})
    assert sorted(_ids(seen)) == ["typo", "typo-fix"]
    assert client_for(mine.registered_by).get("/api/v1/usage-records").json() == []
    # a correction sent after the attribution belongs to the attributed work at once
    ingest(meter, [usage_record(unknown.uscc, "typo", record_id="typo-fix-2", corrects="typo", quantity="-0.5")])
    assert UsageRecord.objects.get(record_id="typo-fix-2").attributed_work_id == late_work.pk
    assert not [m for m in db_audit().mismatches if m.table == UsageRecord._meta.db_table]


def test_the_audit_names_a_tampered_attributed_enterprise(two_enterprises):
    _reviewer, mine, theirs, _work, _other, meter = two_enterprises
    ingest(meter, [usage_record(mine.uscc, "mine-drama", record_id="a")])
    record = UsageRecord.objects.get(record_id="a")
    UsageRecord.objects.filter(pk=record.pk).update(attributed_enterprise=theirs)
    found = [m for m in db_audit().mismatches if m.table == UsageRecord._meta.db_table]
    assert [(m.row, m.fields) for m in found] == [(record.pk, ("attributed_enterprise_id",))]
    # the tampered row would show in the other enterprise's list: the audit is what catches it
    assert _ids(client_for(theirs.registered_by).get("/api/v1/usage-records")) == ["a"]
