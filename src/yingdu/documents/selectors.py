"""Reading the number a document was given."""

from yingdu.policy.selectors import policy_version_in_force
from yingdu.policy.terms import decision_remedies

from .models import DocumentKind, IssuedDocument
from .numbering import BEIJING


def document_number_of(*, kind: DocumentKind, subject_id: int | None) -> str:
    """The document's number, or "" for a document issued before numbers were given."""
    if subject_id is None:
        return ""
    return (IssuedDocument.objects.filter(kind=kind, subject_id=subject_id)
            .values_list("number", flat=True).first() or "")


def decision_remedies_at(moment) -> dict[str, str]:
    """The remedies and contact a decision made at ``moment`` states: those of the policy version then in force."""
    return decision_remedies(policy_version_in_force(on=moment.astimezone(BEIJING).date()))
