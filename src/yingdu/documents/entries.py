"""What an issuing event's log entry says about the document it issues, and the row the audit recomputes from it.

Each issuing entry type adds ``document_fields(since=…)`` to its fields and ``document_row(kind, subject=…)`` to its
rows; its builder adds ``document_values(document)``.
"""

from yingdu.transparency.catalogue import Const, Derived, Field, Kind, Row

from .models import DocumentKind, IssuedDocument
from .numbering import document_year


def document_fields(*, since: int) -> dict[str, Field]:
    return {
        "document": Field(Kind.INT, "issued document row id (its 文号)", since=since),
        "document_number": Field(Kind.STR, "the document's number (文号) as printed on it", since=since),
        "document_sequence": Field(Kind.INT, "its place in the kind's sequence for the Beijing year of `at`",
                                   since=since),
    }


def document_row(kind: DocumentKind, *, subject) -> Row:
    """The IssuedDocument row of an entry; ``subject`` is the entry field (or Derived) naming the document's row."""
    return Row(IssuedDocument, key="document", columns={
        "kind": Const(kind.value), "number": "document_number", "sequence": "document_sequence",
        "year": Derived(lambda event: document_year(event["at"]), "the Beijing (Asia/Shanghai) year of `at`"),
        "subject_id": subject, "issued_at": "at"})


def document_values(document: IssuedDocument) -> dict:
    return {"document": document.pk, "document_number": document.number, "document_sequence": document.sequence}
