"""Every notices table is recomputed from the log: a change made directly in the database is named by the audit."""

import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from yingdu.accounts.models import Role
from yingdu.actors import SYSTEM
from yingdu.metering.models import UsageRecord
from yingdu.metering.tests.tamper import (
    assert_clean,
    assert_delete_named,
    assert_insert_named,
    assert_update_named,
)
from yingdu.notices import services
from yingdu.notices.models import (
    ClaimStatus,
    DataNotice,
    Objection,
    ObjectionClaim,
    ObjectionEvidence,
    ObjectionStatus,
    PendingNotice,
)
from yingdu.policy.selectors import work_calendar
from yingdu.policy.services import calendar_year_provisional_derive
from yingdu.testing.clients import verified
from yingdu.testing.factories import calendar_from_year_cleared, make_staff
from yingdu.transparency.canonical import canonical_json
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry

from .conftest import at, evidence
from .test_calendar_life import YEAR, official_2027

pytestmark = pytest.mark.django_db

NOTICE_RECORDS = DataNotice.records.through


@pytest.fixture
def objected(world):
    """A notice with an upheld objection (one claim corrected) and a rejected one."""
    notice = services.data_notice_issue(work=world.work, period_start_on=date(2026, 9, 1),
                                        period_end_on=date(2026, 9, 23), actor=world.reviewer,
                                        now=at("2026-09-24 10:00"))
    upheld = services.objection_file(notice=notice, explanation="第 3 条记录只用了 3 卡时", evidence=[evidence("张三的对账单.pdf")],
                                     claims=[(world.records[2].pk, "3")], actor=world.member,
                                     now=at("2026-09-28 10:00"))
    services.objection_decide(objection=upheld, decision="uphold", reason="", actor=world.reviewer,
                              now=at("2026-09-29 10:00"))
    rejected = services.objection_file(notice=notice, explanation="第 1 条也有误", evidence=[evidence()],
                                       claims=[(world.records[0].pk, "9")], actor=world.member,
                                       now=at("2026-09-30 10:00"))
    services.objection_decide(objection=rejected, decision="reject", reason="无新证据", actor=world.reviewer,
                              now=at("2026-10-08 10:00"))
    world.notice, world.upheld, world.rejected = notice, upheld, rejected
    return world


@pytest.fixture
def owed(world):
    """A notice owed while 2027 had only a provisional calendar, issued once the official one was published, and a
    second one still owed."""
    calendar_from_year_cleared(YEAR)
    calendar_year_provisional_derive(year=YEAR, now=at("2026-11-01 09:00"))
    assert YEAR in work_calendar().provisional_years
    first = services.data_notice_request(work=world.work, period_start_on=date(2026, 9, 1),
                                         period_end_on=date(2026, 9, 23), actor=SYSTEM, now=at("2026-12-28 10:00"))
    assert isinstance(first, PendingNotice)
    official_2027(verified(make_staff(Role.ADMIN)), now=at("2026-12-30 09:00"))
    first.refresh_from_db()
    assert first.notice is not None
    calendar_from_year_cleared(YEAR + 1)
    calendar_year_provisional_derive(year=YEAR + 1, now=at("2027-11-01 09:00"))
    second = services.data_notice_request(work=world.work, period_start_on=date(2026, 9, 1),
                                          period_end_on=date(2026, 9, 30), actor=SYSTEM, now=at("2027-12-28 10:00"))
    assert isinstance(second, PendingNotice)
    world.issued, world.pending = first, second
    return world


def test_the_entries_match_their_declarations_the_decision_precedes_its_corrections_and_the_tables_match(
        objected):
    types = []
    for entry in LogEntry.objects.order_by("index"):
        event = json.loads(bytes(entry.entry))
        if event["type"].split(".")[0] in ("notices", "objections", "metering"):
            CATALOGUE.validate(event)
            types.append(event["type"])
    upheld = types.index("objections.upheld")
    assert types[upheld:upheld + 3] == ["objections.upheld", "metering.usage_corrected",
                                        "objections.claims_corrected"]
    issued = json.loads(bytes(LogEntry.objects.get(event_type="notices.issued").entry))
    assert issued["records"] == sorted(objected.notice.records.values_list("log_index", flat=True))
    assert hashlib.sha256(canonical_json(issued["records"])).hexdigest() == issued["records_sha256"]
    filed = json.loads(bytes(LogEntry.objects.filter(event_type="objections.filed").order_by("index")[0].entry))
    assert "第 3 条" not in json.dumps(filed, ensure_ascii=False)
    evidence_added = LogEntry.objects.filter(event_type="objections.evidence_added").first()
    assert "张三" not in bytes(evidence_added.entry).decode()
    assert_clean()


def test_a_data_notice_edited_deleted_or_forged_is_named(objected):
    pk = objected.notice.pk
    assert_update_named(DataNotice, pk, "objection_deadline_on", date(2026, 12, 31))
    assert_update_named(DataNotice, pk, "objection_deadline_provisional", True)
    assert_update_named(DataNotice, pk, "cost_microfen", 1)
    assert_update_named(DataNotice, pk, "delivered_at", at("2026-09-30 10:00"))
    assert_update_named(DataNotice, pk, "checkpoint_root_hash", b"\x00" * 32)
    assert_delete_named(DataNotice, pk)
    assert_insert_named(DataNotice, pk)


def test_a_notice_record_list_edited_deleted_or_forged_is_named(objected):
    notice = objected.notice
    through = NOTICE_RECORDS.objects.filter(datanotice=notice).order_by("pk")
    first = through.first()
    other = UsageRecord.objects.exclude(data_notices=notice).first()
    assert_update_named(NOTICE_RECORDS, first.pk, "usagerecord", other.pk)
    record = UsageRecord.objects.get(pk=first.usagerecord_id)
    assert_delete_named(NOTICE_RECORDS, first.pk, rows=(f"notice={notice.pk} log_index={record.log_index}",))
    assert_insert_named(NOTICE_RECORDS, first.pk, changes={"usagerecord_id": other.pk})


def test_an_objection_edited_deleted_or_forged_is_named(objected):
    pk = objected.upheld.pk
    assert_update_named(Objection, pk, "explanation", "改过的说明")
    assert_update_named(Objection, pk, "status", ObjectionStatus.REJECTED)
    assert_update_named(Objection, objected.rejected.pk, "decision_reason", "改过的理由")
    assert_update_named(Objection, pk, "decided_at", at("2026-10-01 10:00"))
    assert_delete_named(Objection, pk)
    assert_insert_named(Objection, pk)


def test_objection_evidence_edited_deleted_or_forged_is_named(objected):
    pk = ObjectionEvidence.objects.filter(objection=objected.upheld).get().pk
    assert_update_named(ObjectionEvidence, pk, "filename", "另一个文件.pdf")
    assert_update_named(ObjectionEvidence, pk, "sha256", "0" * 64)
    assert_delete_named(ObjectionEvidence, pk)
    assert_insert_named(ObjectionEvidence, pk)


def test_an_objection_claim_edited_deleted_or_forged_is_named(objected):
    claim = ObjectionClaim.objects.get(objection=objected.upheld)
    assert claim.correction is not None
    assert_update_named(ObjectionClaim, claim.pk, "correction", None)
    assert_update_named(ObjectionClaim, claim.pk, "claimed_quantity", Decimal("4"))
    assert_update_named(ObjectionClaim, claim.pk, "decided_quantity", Decimal("3.5"))
    assert_update_named(ObjectionClaim, claim.pk, "status", ClaimStatus.AWAITING_PROVIDER)
    assert_update_named(ObjectionClaim, claim.pk, "decision_reason", "事后补写的理由")
    assert_delete_named(ObjectionClaim, claim.pk)
    rejected_claim = ObjectionClaim.objects.get(objection=objected.rejected)
    assert rejected_claim.status == ClaimStatus.REJECTED and rejected_claim.decided_quantity is None
    assert_update_named(ObjectionClaim, rejected_claim.pk, "decided_quantity", Decimal("9"))
    assert_insert_named(ObjectionClaim, rejected_claim.pk, changes={"objection_id": objected.upheld.pk})


def test_a_pending_notice_edited_deleted_or_forged_is_named(owed):
    # the calendar factory deletes calendar rows behind the log's back: only the notices tables are clean here
    assert_clean(models=[PendingNotice, DataNotice, NOTICE_RECORDS])
    issued, pending = owed.issued, owed.pending
    assert_update_named(PendingNotice, issued.pk, "issued_at", issued.issued_at + timedelta(days=1))
    assert_update_named(PendingNotice, issued.pk, "notice", None)
    assert_update_named(PendingNotice, pending.pk, "requested_at", pending.requested_at - timedelta(days=1))
    assert_update_named(PendingNotice, pending.pk, "period_end_on", date(2026, 9, 29))
    assert_delete_named(PendingNotice, pending.pk)
    assert_insert_named(PendingNotice, pending.pk)
