"""Log entries of works."""

from yingdu.transparency.services import event_time

from .models import Work


def work_declared_event(work: Work) -> dict:
    return {
        "type": "works.declare",
        "at": event_time(work.declared_at),
        "work": work.pk,
        "enterprise": work.enterprise_id,
        "title": work.title,
        "form": work.form,
        "project_tag": work.project_tag,
        "production_start_on": work.production_start_on.isoformat(),
        "production_end_on": work.production_end_on.isoformat(),
        "declared_by": work.declared_by_id,
    }
