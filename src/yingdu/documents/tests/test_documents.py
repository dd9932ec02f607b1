"""Document numbers (文号) on the notices of an application, the voucher certificate and the data notice; the
remedies and contact on the decision notice; the number in the issuing entry, recomputed by the audit."""

import json
import shutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from yingdu.applications import services
from yingdu.applications.tests.support import draft, eligible_works
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.documents.services import document_number_issue
from yingdu.errors import DomainError
from yingdu.policy.services import DEFAULT_VERSION_TERMS, policy_version_create_draft
from yingdu.policy.terms import decision_remedies
from yingdu.testing.clients import client_for, verified
from yingdu.testing.pdf import pdf_text
from yingdu.transparency.models import LogEntry
from yingdu.vouchers.models import Voucher

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 9, 21, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def _decided(enterprise, meter, reviewer, approver, *, approve: bool = True, supplement: bool = True):
    [work] = eligible_works(enterprise, meter, 1)
    member = verified(enterprise.registered_by)
    application = services.application_submit(application=draft(work, now=MOMENT), actor=member, now=MOMENT)
    services.application_accept(application=application, actor=reviewer, now=MOMENT)
    services.application_start_review(application=application, actor=reviewer, now=MOMENT)
    if supplement:
        services.application_request_supplement(application=application, actor=reviewer, items=["授权书"],
                                                 message="请补充", now=MOMENT)
        services.application_resubmit(application=application, actor=member, now=MOMENT)
    if approve:
        return services.application_approve(application=application, actor=approver, now=MOMENT)
    return services.application_reject(application=application, actor=approver, reason="材料不实", now=MOMENT)


def _entries(event_type: str) -> list[dict]:
    return [json.loads(bytes(entry)) for entry in
            LogEntry.objects.filter(event_type=event_type).order_by("index").values_list("entry", flat=True)]


def test_each_kind_of_document_is_numbered_in_its_own_sequence_without_gaps(enterprise, meter, reviewer, approver):
    first = _decided(enterprise, meter, reviewer, approver)
    second = _decided(enterprise, meter, reviewer, approver, approve=False, supplement=False)
    numbers = {kind: list(IssuedDocument.objects.filter(kind=kind).order_by("sequence")
                          .values_list("subject_id", "number")) for kind in DocumentKind.values}
    assert numbers["acceptance"] == [(first.pk, "怀文促受〔2026〕1号"), (second.pk, "怀文促受〔2026〕2号")]
    assert numbers["decision"] == [(first.pk, "怀文促决〔2026〕1号"), (second.pk, "怀文促决〔2026〕2号")]
    assert numbers["supplement"] == [(first.supplement_requests.get().pk, "怀文促补〔2026〕1号")]
    voucher = Voucher.objects.get(application_id=first.pk)
    assert numbers["voucher"] == [(voucher.pk, "怀影算券〔2026〕1号")]
    # the data notices the applications needed, 1, 2, … in issuing order
    notices = numbers["data_notice"]
    assert [number for _subject, number in notices] == [f"怀文促数告〔2026〕{n}号" for n in range(1, len(notices) + 1)]
    assert notices


def test_the_issuing_entry_records_the_number_printed_on_the_document(enterprise, meter, reviewer, approver,
                                                                      tmp_path):
    application = _decided(enterprise, meter, reviewer, approver)
    voucher = Voucher.objects.get(application_id=application.pk)
    for event_type, kind, subject in (("applications.accept", "acceptance", application.pk),
                                      ("applications.approve", "decision", application.pk),
                                      ("applications.request_supplement", "supplement",
                                       application.supplement_requests.get().pk),
                                      ("vouchers.issue", "voucher", voucher.pk)):
        [entry] = _entries(event_type)
        document = IssuedDocument.objects.get(kind=kind, subject_id=subject)
        assert (entry["document"], entry["document_number"], entry["document_sequence"]) == (
            document.pk, document.number, document.sequence)
    for entry in _entries("notices.issued"):
        assert IssuedDocument.objects.get(kind="data_notice", subject_id=entry["notice"]).number == \
            entry["document_number"]
    # the printed documents (one PDF, to keep the test quick; the others are rendered from the same context)
    client = client_for(enterprise.registered_by)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert "怀文促决〔2026〕1号" in page
    notice_id = _entries("notices.issued")[0]["notice"]
    from yingdu.notices.documents import notice_html
    from yingdu.notices.models import DataNotice
    assert "怀文促数告〔2026〕1号" in notice_html(DataNotice.objects.get(pk=notice_id), page_url="/")
    from yingdu.vouchers.documents import voucher_certificate_html
    from yingdu.vouchers.selectors import voucher_views
    [view] = voucher_views([voucher])
    assert "怀影算券〔2026〕1号" in voucher_certificate_html(view)
    from yingdu.applications.documents import _context
    assert _context(application, "supplement", sla=None)["document_number"] == "怀文促补〔2026〕1号"
    assert _context(application, "acceptance", sla=None)["document_number"] == "怀文促受〔2026〕1号"
    if shutil.which("pdftotext") is not None:
        text = pdf_text(client.get(f"/applications/{application.pk}/notices/decision.pdf").content, tmp_path)
        assert "怀文促决〔2026〕1号" in "".join(text.split())


@pytest.mark.parametrize("approve", [True, False])
def test_a_decision_states_the_remedies_and_the_contact_in_html_and_pdf(enterprise, meter, reviewer, approver,
                                                                      tmp_path, approve):
    from django.template.loader import render_to_string

    from yingdu.applications.documents import _context
    from yingdu.applications.selectors import application_sla
    application = _decided(enterprise, meter, reviewer, approver, approve=approve, supplement=False)
    remedies = decision_remedies(None)
    client = client_for(enterprise.registered_by)
    page = client.get(f"/applications/{application.pk}/").content.decode()
    assert remedies["review"] in page and remedies["contact_office"] in page
    assert "怀文促决〔2026〕1号" in page
    sla = application_sla(application, today=MOMENT.date())
    html = render_to_string("applications/notices/decision.html", _context(application, "decision", sla=sla))
    assert remedies["review"] in html and remedies["litigation"] in html and remedies["contact_office"] in html
    # an acceptance is no decision: no remedies on it
    acceptance = render_to_string("applications/notices/acceptance.html", _context(application, "acceptance", sla=sla))
    assert "行政复议" not in acceptance and "怀文促受〔2026〕" in acceptance
    if approve and shutil.which("pdftotext") is not None:
        text = "".join(pdf_text(client.get(f"/applications/{application.pk}/notices/decision.pdf").content,
                                tmp_path).split())
        assert "".join(remedies["review"].split()) in text and "".join(remedies["litigation"].split()) in text
        assert "六十日内" in text and "六个月内" in text and remedies["contact_office"] in text


def test_numbers_start_again_at_one_in_each_beijing_year():
    eve = datetime(2026, 12, 31, 15, 59, tzinfo=UTC)       # 23:59 on New Year's Eve in Beijing
    midnight = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)   # 00:00 on 1 January 2027 in Beijing
    numbers = [document_number_issue(kind=DocumentKind.DECISION, subject_id=subject, now=moment).number
               for subject, moment in ((1, eve), (2, eve), (3, midnight), (4, midnight))]
    voucher = document_number_issue(kind=DocumentKind.VOUCHER, subject_id=1, now=midnight).number
    assert numbers == ["怀文促决〔2026〕1号", "怀文促决〔2026〕2号", "怀文促决〔2027〕1号", "怀文促决〔2027〕2号"]
    assert voucher == "怀影算券〔2027〕1号"


def test_a_document_is_numbered_once():
    document_number_issue(kind=DocumentKind.DECISION, subject_id=7, now=MOMENT)
    from django.db import IntegrityError
    with pytest.raises(IntegrityError):
        document_number_issue(kind=DocumentKind.DECISION, subject_id=7, now=MOMENT)


@pytest.mark.parametrize("terms", [
    {"document_number_formats": {**DEFAULT_VERSION_TERMS["document_number_formats"], "decision": "决〔2026〕{number}号"}},
    {"document_number_formats": {"decision": "决〔{year}〕{number}号"}},
    {"decision_remedies": {**DEFAULT_VERSION_TERMS["decision_remedies"], "review": ""}},
    {"decision_remedies": {"review": "x"}},
])
def test_a_version_with_a_malformed_number_format_or_remedies_is_refused(terms):
    from yingdu.actors import SYSTEM
    with pytest.raises(DomainError) as raised:
        policy_version_create_draft(version_id="bad-terms", title="t", actor=SYSTEM, now=MOMENT, terms=terms,
                                    copy_in_force=False)
    assert raised.value.code == "policy_term_invalid"


def test_the_audit_names_a_tampered_document_number(enterprise, meter, reviewer, approver):
    from yingdu.testing.tamper import assert_tampering_is_named
    _decided(enterprise, meter, reviewer, approver, supplement=False)
    assert_tampering_is_named(IssuedDocument)
