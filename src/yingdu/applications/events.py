"""Log entries of applications: enough to recompute each row; free text only as a salted commitment.

The application and its transitions are recomputed by the hand-written projection ``audits.projections.applications``
(``projection="applications"``); supplement requests, materials and reviewer reminders by the rows declared here.
Free text (reasons, supplement messages and responses, uploaded file names) is committed with the enterprise's salt.
"""

from collections.abc import Iterable

from yingdu.actors import SYSTEM, actor_ref
from yingdu.documents.entries import document_fields, document_row, document_values
from yingdu.documents.models import DocumentKind, IssuedDocument
from yingdu.enterprises.models import Enterprise
from yingdu.transparency.catalogue import (
    Committed,
    Const,
    Derived,
    EventType,
    Field,
    Kind,
    Row,
    declare,
    not_audited,
)
from yingdu.transparency.services import commitment, event_time

from .models import (
    Application,
    ApplicationInvoice,
    ApplicationMaterial,
    ApplicationTransition,
    InvoiceWithdrawal,
    ReviewerReminder,
    SupplementRequest,
)
from .workflow import ApplicationAction

APPLICATION_CREATED = declare(
    "applications.create",
    doc="An enterprise member opened a draft application for a work (or an overseas top-up of an approved one).",
    fields={
        "at": Field(Kind.TIME, "when the draft was opened"),
        "application": Field(Kind.INT, "application id"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "work": Field(Kind.INT, "work id"),
        "kind": Field(Kind.STR, "regular|overseas_topup"),
        "overseas_claimed": Field(Kind.BOOL, "support at the overseas rate is claimed"),
        "topup_of": Field(Kind.INT, "the approved application this tops up", null=True),
        "actor": Field(Kind.ACTOR, "the member who opened it"),
    },
    projection="applications",
)

# What each step is, and what its "detail" holds (it is also the transition row's detail column).
_STEPS = {
    ApplicationAction.SUBMIT: (
        "The applicant submitted the draft; its place under the annual limit is taken.",
        "{policy_version: the version id in force, limit_year, counts_toward_limit}"),
    ApplicationAction.ACCEPT: (
        "A reviewer accepted the application as complete; the SLA clock starts.",
        "{accepted_on, sla_working_days}"),
    ApplicationAction.START_REVIEW: (
        "A reviewer started the review; the amount is computed from the verified cost now.",
        "{verified_cost_fen, amount_fen, policy_version}"),
    ApplicationAction.REQUEST_SUPPLEMENT: (
        "A reviewer asked for supplementary materials; the SLA clock pauses.",
        "{supplement_request: its id, items: the materials asked for, paused_from, needs (since the structured "
        "supplement; only when an item needs an upload): per item material:<code>|release|'' }"),
    ApplicationAction.RESUBMIT: (
        "The applicant answered the supplement request; the clock resumes and the amount is computed again.",
        "{supplement_request, paused_from, paused_to, verified_cost_fen, amount_fen, policy_version, answers (only when "
        "the request had needs): [{item, material: id} | {item, release: id}]}"),
    ApplicationAction.APPROVE: (
        "An approver approved the application; the amount computed now is fixed (its voucher's entry follows).",
        "{verified_cost_fen, amount_fen, policy_version, approved_amount_fen}"),
    ApplicationAction.PROPOSE: (
        "An approver approved the application under a policy version with a 公示 period: a proposed award (拟支持), "
        "its amount fixed now, shown publicly for the period; no voucher yet.",
        "{verified_cost_fen, amount_fen, policy_version, approved_amount_fen, publicity_working_days, "
        "publicity_ends_on: the last day of 公示 (null while its year has no schedule), publicity_excluded_from_sla: "
        "whether the days of 公示 pause the review clock}"),
    ApplicationAction.PUBLICITY_CONCLUDE: (
        "The platform approved the proposed award after the last working day of its 公示, no objection upheld or "
        "open (its voucher's entry follows).",
        "{publicity_ends_on, approved_amount_fen}"),
    ApplicationAction.PUBLICITY_RETURN: (
        "A reviewer upheld an objection to the proposed award (its publicity.objection_decided entry precedes): the "
        "award is withdrawn and the application is back under review; the reason is the objection's decision.",
        "{publicity_objection: the objection id, paused_from: the day of the proposal, paused_to: today}"),
    ApplicationAction.REJECT: (
        "An approver refused support; the place under the annual limit is released.",
        "{} (empty)"),
    ApplicationAction.WITHDRAW: (
        "The applicant withdrew the application before a decision.",
        "{} (empty)"),
}
# steps that compute the amount, and steps that close a supplement request left open
_REVIEWING = frozenset({ApplicationAction.START_REVIEW, ApplicationAction.RESUBMIT, ApplicationAction.APPROVE,
                        ApplicationAction.PROPOSE})
_CLOSING = frozenset({ApplicationAction.REJECT, ApplicationAction.WITHDRAW})

_TRANSITION_FIELDS = {
    "at": Field(Kind.TIME, "when the step was taken"),
    "application": Field(Kind.INT, "application id"),
    "transition": Field(Kind.INT, "application transition id"),
    "enterprise": Field(Kind.INT, "enterprise id (whose salt the commitments use)"),
    "work": Field(Kind.INT, "work id"),
    "kind": Field(Kind.STR, "regular|overseas_topup"),
    "from_status": Field(Kind.STR, "status before the step"),
    "to_status": Field(Kind.STR, "status after the step"),
    "actor": Field(Kind.ACTOR, "who took the step (system: the end of 公示)"),
    "on": Field(Kind.DATE, "the Asia/Shanghai date of the step"),
    "reason_commitment": Field(Kind.DIGEST, "commitment to the step's reason (for a supplement request its message, "
                                            "for a resubmission the applicant's response)"),
}
_REVIEW_FIELDS = {
    "review_explanation": Field(Kind.STR, "the amount's explanation as shown to the applicant", since=2),
    "review_detail": Field(Kind.JSON, "the amount's calculation: money in fen, rates as decimal strings", since=2),
}
_CLOSING_FIELDS = {
    "supplements_closed": Field(Kind.INTS, "supplement requests still open, closed by this step", since=2),
}


def _reason_of_enterprise(column: str) -> Committed:
    return Committed("reason_commitment", {"reason": column}, salt_model=Enterprise, salt_key="enterprise")


def _supplement_request(event) -> int:
    return event["detail"]["supplement_request"]


_REQUEST_KEY = Derived(_supplement_request, "`detail.supplement_request`")


_SUPPLEMENT_ROWS = {
    ApplicationAction.REQUEST_SUPPLEMENT: [Row(SupplementRequest, key=_REQUEST_KEY, columns={
        "application_id": "application", "items": Derived(lambda event: event["detail"]["items"], "`detail.items`"),
        "message": _reason_of_enterprise("message"), "requested_by_id": "actor", "requested_at": "at",
        "requested_on": "on", "response": Const(""),
        "needs": Derived(lambda event: event["detail"].get("needs", []), "`detail.needs`, else []"),
        "answers": Const([]), "resumed_by_id": Const(None), "resumed_at": Const(None),
        "resumed_on": Const(None),
    })],
    ApplicationAction.RESUBMIT: [Row(SupplementRequest, key=_REQUEST_KEY, action="update", columns={
        "response": _reason_of_enterprise("response"), "resumed_by_id": "actor", "resumed_at": "at",
        "resumed_on": "on",
        "answers": Derived(lambda event: event["detail"].get("answers", []), "`detail.answers`, else []"),
    })],
    **{action: [Row(SupplementRequest, key=Derived(lambda event, request: request, "each listed id"), action="update",
                    each="supplements_closed",
                    columns={"resumed_by_id": "^actor", "resumed_at": "^at", "resumed_on": "^on"})]
       for action in _CLOSING},
}


# the official document each step issues (its number is in the step's entry from the version that added it), and
# the entry field naming the document's row
DOCUMENT_OF_STEP = {
    ApplicationAction.ACCEPT: (DocumentKind.ACCEPTANCE, "application"),
    ApplicationAction.REQUEST_SUPPLEMENT: (DocumentKind.SUPPLEMENT, _REQUEST_KEY),
    ApplicationAction.APPROVE: (DocumentKind.DECISION, "application"),
    ApplicationAction.REJECT: (DocumentKind.DECISION, "application"),
    # under 公示 the decision takes effect, and its notice is numbered, when the period ends
    ApplicationAction.PUBLICITY_CONCLUDE: (DocumentKind.DECISION, "application"),
}
# steps declared after documents were numbered: their entries carry the number from their first version
_NUMBERED_FROM_THE_START = frozenset({ApplicationAction.PUBLICITY_CONCLUDE})


def _declare_transition(action: ApplicationAction) -> EventType:
    extra = (_REVIEW_FIELDS if action in _REVIEWING else {}) | (_CLOSING_FIELDS if action in _CLOSING else {})
    version = 2 if extra else 1
    rows = list(_SUPPLEMENT_ROWS.get(action, ()))
    if action in DOCUMENT_OF_STEP:
        version += 0 if action in _NUMBERED_FROM_THE_START else 1
        kind, subject = DOCUMENT_OF_STEP[action]
        extra = {**extra, **document_fields(since=version)}
        rows.append(document_row(kind, subject=subject))
    return declare(
        f"applications.{action.value}", version=version,
        doc=_STEPS[action][0],
        fields={**_TRANSITION_FIELDS, "detail": Field(Kind.JSON, _STEPS[action][1]), **extra},
        rows=rows,
        projection="applications",
    )


#: the declared type of each workflow step, ``applications.<action>``
TRANSITION_TYPES: dict[ApplicationAction, EventType] = {action: _declare_transition(action)
                                                        for action in ApplicationAction}

# The free text of a material, by its key in the committed object.
MATERIAL_COMMITTED = {"filename": "filename"}

MATERIAL_UPLOADED = declare(
    "applications.material_upload", version=2,
    doc="A checklist material was uploaded for an application (a later upload of the same code replaces it; both "
        "are kept).",
    fields={
        "at": Field(Kind.TIME, "when it was uploaded"),
        "application": Field(Kind.INT, "application id"),
        "material": Field(Kind.INT, "application material id"),
        "code": Field(Kind.STR, "the checklist item's code"),
        "sha256": Field(Kind.DIGEST, "SHA-256 of the file"),
        "actor": Field(Kind.ACTOR, "the member who uploaded it"),
        "enterprise": Field(Kind.INT, "enterprise id (whose salt the commitment uses)", since=2),
        "label": Field(Kind.STR, "the checklist item's label", since=2),
        "content_type": Field(Kind.STR, "media type of the file", since=2),
        "size": Field(Kind.INT, "size of the file in bytes", since=2),
        "filename_commitment": Field(Kind.DIGEST, "commitment to the uploaded file's name", since=2),
    },
    rows=[Row(ApplicationMaterial, key="material", columns={
        "application_id": "application", "code": "code", "label": "label", "sha256": "sha256",
        "content_type": "content_type", "size": "size", "uploaded_by_id": "actor", "uploaded_at": "at",
        "filename": Committed("filename_commitment", MATERIAL_COMMITTED, salt_model=Enterprise,
                              salt_key="enterprise"),
    })],
)

# The invoice's identity and file name, by their keys in the committed object (an enterprise's invoices are not
# published; the audit checks the columns against the commitment).
INVOICE_COMMITTED = {"invoice_code": "invoice_code", "invoice_number": "invoice_number", "filename": "filename"}

INVOICE_DECLARED = declare(
    "applications.invoice_declare",
    doc="The applicant declared a compute invoice of the work (the subsidy base is then the lower of the verified "
        "metered cost and the invoices' total before tax). Never edited: an error is withdrawn and declared anew.",
    fields={
        "at": Field(Kind.TIME, "when it was declared"),
        "application": Field(Kind.INT, "application id"),
        "invoice": Field(Kind.INT, "application invoice id"),
        "enterprise": Field(Kind.INT, "enterprise id (whose salt the commitment uses)"),
        "declaration_seq": Field(Kind.INT, "earlier declarations of the same invoice code and number (all released)"),
        "issued_on": Field(Kind.DATE, "the invoice's date of issue"),
        "seller": Field(Kind.INT, "the seller: a provider registered on the platform (provider id)"),
        "seller_uscc": Field(Kind.STR, "the seller's unified social credit code"),
        "amount_fen": Field(Kind.INT, "amount before tax, fen"),
        "tax_fen": Field(Kind.INT, "tax, fen"),
        "sha256": Field(Kind.DIGEST, "SHA-256 of the invoice file (PDF or OFD)"),
        "content_type": Field(Kind.STR, "media type of the file"),
        "size": Field(Kind.INT, "size of the file in bytes"),
        "identity_commitment": Field(Kind.DIGEST, "commitment to the invoice code, number and file name"),
        "actor": Field(Kind.ACTOR, "the member who declared it"),
    },
    rows=[Row(ApplicationInvoice, key="invoice", columns={
        "application_id": "application", "declaration_seq": "declaration_seq", "issued_on": "issued_on",
        "seller_id": "seller", "seller_uscc": "seller_uscc", "amount_fen": "amount_fen", "tax_fen": "tax_fen",
        "sha256": "sha256", "content_type": "content_type", "size": "size", "declared_by_id": "actor",
        "declared_at": "at",
        "identity": Committed("identity_commitment", INVOICE_COMMITTED, salt_model=Enterprise,
                                  salt_key="enterprise"),
    })],
)

INVOICE_WITHDRAWN = declare(
    "applications.invoice_withdraw",
    doc="The applicant withdrew an invoice declared in error: it no longer counts for the base and its number is "
        "free to be declared again.",
    fields={
        "at": Field(Kind.TIME, "when it was withdrawn"),
        "application": Field(Kind.INT, "application id"),
        "invoice": Field(Kind.INT, "the application invoice withdrawn"),
        "withdrawal": Field(Kind.INT, "invoice withdrawal id"),
        "enterprise": Field(Kind.INT, "enterprise id (whose salt the commitment uses)"),
        "reason_commitment": Field(Kind.DIGEST, "commitment to the reason"),
        "actor": Field(Kind.ACTOR, "the member who withdrew it"),
    },
    rows=[Row(InvoiceWithdrawal, key="withdrawal", columns={
        "invoice_id": "invoice", "withdrawn_by_id": "actor", "withdrawn_at": "at",
        "reason": _reason_of_enterprise("reason"),
    })],
)

REVIEWER_REMINDED = declare(
    "applications.reminder", version=2,
    doc="The daily digest was sent to a reviewer about their applications at risk or overdue (at most one a day).",
    fields={
        "at": Field(Kind.TIME, "when it was sent"),
        "reviewer": Field(Kind.INT, "the reviewer's user id"),
        "sent_on": Field(Kind.DATE, "the Asia/Shanghai date it counts for"),
        "applications": Field(Kind.INTS, "ids of the applications it lists"),
        "reminder": Field(Kind.INT, "reviewer reminder id", since=2),
    },
    rows=[Row(ReviewerReminder, key="reminder", columns={
        "reviewer_id": "reviewer", "sent_on": "sent_on", "application_ids": "applications", "sent_at": "at",
    })],
)


def _enterprise_commitment(enterprise: Enterprise, values: dict) -> str:
    return commitment(salt=enterprise.commitment_salt, values=values)


def application_created_event(application: Application) -> dict:
    return APPLICATION_CREATED.build(
        at=event_time(application.created_at), application=application.pk, enterprise=application.enterprise_id,
        work=application.work_id, kind=str(application.kind), overseas_claimed=application.overseas_claimed,
        topup_of=application.topup_of_id, actor=actor_ref(application.created_by))


def application_transition_event(action: ApplicationAction, application: Application,
                                 transition: ApplicationTransition, *,
                                 supplements_closed: Iterable[int] = (), document: IssuedDocument | None = None) -> dict:
    """The entry of one workflow step (``applications.<action>``), with the application's state after it and the
    number of the document it issues."""
    declared = TRANSITION_TYPES[action]
    extra = document_values(document) if document is not None else {}
    if "review_detail" in declared.fields:
        extra.update(review_explanation=application.review_explanation, review_detail=application.review_detail)
    if "supplements_closed" in declared.fields:
        extra["supplements_closed"] = sorted(supplements_closed)
    return declared.build(
        at=event_time(transition.at), application=application.pk, transition=transition.pk,
        enterprise=application.enterprise_id, work=application.work_id, kind=str(application.kind),
        from_status=str(transition.from_status), to_status=str(transition.to_status),
        actor=actor_ref(transition.actor or SYSTEM), on=transition.on.isoformat(), detail=transition.detail,
        reason_commitment=_enterprise_commitment(application.enterprise, {"reason": transition.reason}), **extra)


def material_uploaded_event(material: ApplicationMaterial) -> dict:
    enterprise = material.application.enterprise
    return MATERIAL_UPLOADED.build(
        at=event_time(material.uploaded_at), application=material.application_id, material=material.pk,
        code=material.code, sha256=material.sha256, actor=actor_ref(material.uploaded_by), enterprise=enterprise.pk,
        label=material.label, content_type=material.content_type, size=material.size,
        filename_commitment=_enterprise_commitment(enterprise, {key: getattr(material, column)
                                                                for key, column in MATERIAL_COMMITTED.items()}))


def reviewer_reminded_event(reminder: ReviewerReminder) -> dict:
    return REVIEWER_REMINDED.build(
        at=event_time(reminder.sent_at), reviewer=reminder.reviewer_id, sent_on=reminder.sent_on.isoformat(),
        applications=list(reminder.application_ids), reminder=reminder.pk)


_SLA_CACHE = ("a cache of the review clock for sorting and filtering the queue, recomputed by the services from the "
              "audited acceptance, supplement requests and objections and the calendar; pages show the clock "
              "computed from those rows, and the applications tests compare the cache with it")
not_audited(Application, columns={"sla_deadline_on": _SLA_CACHE, "sla_deadline_not_before": _SLA_CACHE,
                                  "sla_paused": _SLA_CACHE, "sla_refreshed_on": _SLA_CACHE})
def invoice_declared_event(invoice: ApplicationInvoice) -> dict:
    enterprise = invoice.application.enterprise
    return INVOICE_DECLARED.build(
        at=event_time(invoice.declared_at), application=invoice.application_id, invoice=invoice.pk,
        enterprise=enterprise.pk, declaration_seq=invoice.declaration_seq, issued_on=invoice.issued_on.isoformat(),
        seller=invoice.seller_id, seller_uscc=invoice.seller_uscc, amount_fen=invoice.amount_fen,
        tax_fen=invoice.tax_fen, sha256=invoice.sha256, content_type=invoice.content_type, size=invoice.size,
        identity_commitment=_enterprise_commitment(enterprise, {key: getattr(invoice, column)
                                                                for key, column in INVOICE_COMMITTED.items()}),
        actor=actor_ref(invoice.declared_by))


def invoice_withdrawn_event(withdrawal: InvoiceWithdrawal) -> dict:
    application = withdrawal.invoice.application
    return INVOICE_WITHDRAWN.build(
        at=event_time(withdrawal.withdrawn_at), application=application.pk, invoice=withdrawal.invoice_id,
        withdrawal=withdrawal.pk, enterprise=application.enterprise_id,
        reason_commitment=_enterprise_commitment(application.enterprise, {"reason": withdrawal.reason}),
        actor=actor_ref(withdrawal.withdrawn_by))
