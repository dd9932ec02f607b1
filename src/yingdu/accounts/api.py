from ninja import Router, Schema
from ninja.security import django_auth

from .selectors import user_granted_staff_roles, user_is_otp_verified, user_roles

router = Router(tags=["账户"])


class MeOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    organisation_id: int | None
    two_factor_verified: bool
    two_factor_required: bool


@router.get("/me", response=MeOut, auth=django_auth, summary="当前用户与角色")
def me(request):
    user = request.user
    return MeOut(
        username=user.username, display_name=user.display_name, roles=sorted(user_roles(user)),
        organisation_id=user.organisation_id, two_factor_verified=user_is_otp_verified(user),
        two_factor_required=bool(user_granted_staff_roles(user)),
    )
