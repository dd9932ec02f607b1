"""Log entries of the enterprise registry: enough to recompute each row, with personal data only as commitments."""

from yingdu.transparency.services import commitment, event_time

from .models import Enterprise, EnterpriseStateChange

PERSONAL_FIELDS = ("legal_representative", "contact_name", "contact_phone")


def enterprise_registered_event(enterprise: Enterprise, change: EnterpriseStateChange) -> dict:
    """enterprises.register: the registry row as registered (names and phone as a salted commitment)."""
    return {
        "type": "enterprises.register",
        "at": event_time(enterprise.registered_at),
        "enterprise": enterprise.pk,
        "change": change.pk,
        "state": change.to_state,
        "organisation": enterprise.organisation_id,
        "name": enterprise.name,
        "uscc": enterprise.uscc,
        "registered_address": enterprise.registered_address,
        "licence_sha256": enterprise.licence_sha256,
        "registered_by": enterprise.registered_by_id,
        "personal_commitment": commitment(
            salt=enterprise.commitment_salt, values={name: getattr(enterprise, name) for name in PERSONAL_FIELDS}),
    }


def state_change_event(change: EnterpriseStateChange) -> dict:
    """enterprises.<action>: one state transition; the free-text reason as a salted commitment."""
    return {
        "type": f"enterprises.{change.action}",
        "at": event_time(change.at),
        "enterprise": change.enterprise_id,
        "change": change.pk,
        "from_state": change.from_state,
        "to_state": change.to_state,
        "actor": change.actor_id,
        "effective_on": change.effective_on.isoformat(),
        "reason_commitment": commitment(salt=change.enterprise.commitment_salt, values={"reason": change.reason}),
    }
