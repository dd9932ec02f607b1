"""Log entries of applications: enough to recompute each row; free text only as a salted commitment."""

from yingdu.transparency.services import commitment, event_time

from .models import Application, ApplicationMaterial, ApplicationTransition


def application_created_event(application: Application) -> dict:
    """applications.create: a draft for a work (or an overseas top-up of an approved application)."""
    return {
        "type": "applications.create",
        "at": event_time(application.created_at),
        "application": application.pk,
        "enterprise": application.enterprise_id,
        "work": application.work_id,
        "kind": application.kind,
        "overseas_claimed": application.overseas_claimed,
        "topup_of": application.topup_of_id,
        "actor": application.created_by_id,
    }


def application_transition_event(application: Application, transition: ApplicationTransition) -> dict:
    """applications.<action>: one workflow step with its dates and amounts."""
    return {
        "type": f"applications.{transition.action}",
        "at": event_time(transition.at),
        "application": application.pk,
        "transition": transition.pk,
        "enterprise": application.enterprise_id,
        "work": application.work_id,
        "kind": application.kind,
        "from_status": transition.from_status,
        "to_status": transition.to_status,
        "actor": transition.actor_id,
        "on": transition.on.isoformat(),
        "detail": transition.detail,
        "reason_commitment": commitment(salt=application.enterprise.commitment_salt,
                                        values={"reason": transition.reason}),
    }


def material_uploaded_event(material: ApplicationMaterial) -> dict:
    """applications.material_upload: a checklist material, by digest."""
    return {
        "type": "applications.material_upload",
        "at": event_time(material.uploaded_at),
        "application": material.application_id,
        "material": material.pk,
        "code": material.code,
        "sha256": material.sha256,
        "actor": material.uploaded_by_id,
    }
