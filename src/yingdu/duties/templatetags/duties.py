"""Show, on a case page, the four-eyes proposal awaiting a second person, and a link to declare a recusal."""

from django import template
from django.urls import reverse

from yingdu.accounts.models import STAFF_ROLES
from yingdu.accounts.selectors import user_roles

from ..rules import FOUR_EYES, Step
from ..selectors import proposals_pending_for_case, user_is_recused

register = template.Library()


@register.inclusion_tag("duties/_case_duties.html", takes_context=True)
def case_duties(context, case_kind: str, case_id: int, *steps: str):
    """For staff: pending proposals of ``steps`` on the case, whether they are recused, and the recusal link."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user_roles(user) & STAFF_ROLES):
        return {"show": False}
    pending = []
    for step in steps:
        proposal = proposals_pending_for_case(Step(step), case_kind, case_id)
        if proposal is not None:
            pending.append({"proposal": proposal, "label": FOUR_EYES[Step(step)].label,
                            "mine": proposal.proposed_by_id == user.pk})
    return {"show": True, "pending": pending, "recused": user_is_recused(user, case_kind, case_id),
            "recusal_url": f"{reverse('duties:recusal_new')}?kind={case_kind}&id={case_id}",
            "duties_url": reverse("duties:index")}
