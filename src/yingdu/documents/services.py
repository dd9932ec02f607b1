"""Giving an official document its number: the next in the kind's sequence for the Beijing year, in the issuing
transaction, under the log's sequencer lock (so concurrent issuances queue and a rolled-back one leaves no gap)."""

from datetime import datetime

from django.db import transaction
from django.db.models import Max

from yingdu.policy.selectors import policy_version_in_force
from yingdu.policy.terms import document_number_template
from yingdu.transparency.services import log_lock

from .models import DocumentKind, IssuedDocument
from .numbering import BEIJING, document_number_format, document_year


def document_number_issue(*, kind: DocumentKind, subject_id: int, now: datetime) -> IssuedDocument:
    """Number the document of ``kind`` about ``subject_id``, issued at ``now``; call it inside the transaction of the
    event that issues the document, whose log entry then records the number (``documents.entries``)."""
    with transaction.atomic():
        log_lock()
        year = document_year(now)
        policy = policy_version_in_force(on=now.astimezone(BEIJING).date())
        last = (IssuedDocument.objects.filter(kind=kind, year=year).aggregate(last=Max("sequence"))["last"] or 0)
        sequence = last + 1
        return IssuedDocument.objects.create(
            kind=kind, year=year, sequence=sequence, subject_id=subject_id, issued_at=now,
            number=document_number_format(document_number_template(policy, kind), year=year, sequence=sequence))
