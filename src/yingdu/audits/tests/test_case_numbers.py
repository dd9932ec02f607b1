"""Each spot-check case opened by a draw gets the next 抽查通知书 number, in its entry and its notice."""

import json

import pytest

from yingdu.accounts.models import Role
from yingdu.audits.draws import draw_run
from yingdu.audits.models import AuditNotice, SpotCheckCase
from yingdu.documents.models import IssuedDocument
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_staff, make_user
from yingdu.transparency.models import LogEntry
from yingdu.transparency.services import checkpoint_sign

from .conftest import AFTER_Q3, Q3_LAST_HOUR, supported_work

pytestmark = pytest.mark.django_db


def test_cases_are_numbered_in_their_entries_notices_and_pages():
    approver = verified(make_staff(Role.APPROVER))
    enterprise = make_enterprise(member=make_user(), verified_by=verified(make_staff(Role.REVIEWER)))
    for _ in range(4):
        supported_work(enterprise, approver)
    checkpoint_sign(now=Q3_LAST_HOUR)
    auditor = verified(make_staff(Role.AUDITOR))
    draw_run(quarter="2026Q3", actor=auditor, now=AFTER_Q3)
    cases = list(SpotCheckCase.objects.order_by("rank"))
    numbers = [IssuedDocument.objects.get(kind="spot_check", subject_id=case.pk).number for case in cases]
    assert numbers == [f"怀文促查〔2026〕{n}号" for n in range(1, len(cases) + 1)]
    entries = {entry["case"]: entry["document_number"] for entry in (
        json.loads(bytes(e)) for e in LogEntry.objects.filter(event_type="audits.case_open").values_list(
            "entry", flat=True))}
    assert [entries[case.pk] for case in cases] == numbers
    notice = AuditNotice.objects.filter(case=cases[0]).first()
    assert notice.message.startswith(numbers[0])
    assert numbers[0] in client_for(auditor).get(f"/audits/cases/{cases[0].pk}/").content.decode()
