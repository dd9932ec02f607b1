"""A user's own account through the API: password change and profile (each a service call and a log entry)."""

from django.contrib.auth import update_session_auth_hash
from django.utils import timezone
from ninja import Router, Schema
from ninja.security import django_auth

from yingdu.api_errors import errors
from yingdu.api_types import Line

from .services_self import user_password_change, user_profile_update

router = Router(tags=["账户"])


class PasswordChangeIn(Schema):
    old_password: Line
    new_password: Line


class ProfileIn(Schema):
    display_name: Line
    phone: Line = ""
    email: Line = ""


class ProfileOut(Schema):
    username: str
    display_name: str
    phone: str
    email: str
    must_change_password: bool


def _profile(user) -> ProfileOut:
    return ProfileOut(username=user.username, display_name=user.display_name, phone=user.phone, email=user.email,
                      must_change_password=user.must_change_password)


@router.post("/me/password", response=ProfileOut, auth=django_auth, summary="修改自己的密码")
@errors(old_password_wrong=400)
def password_change(request, payload: PasswordChangeIn):
    user_password_change(user=request.user, old_password=payload.old_password, new_password=payload.new_password,
                         now=timezone.now())
    update_session_auth_hash(request, request.user)
    return _profile(request.user)


@router.get("/me/profile", response=ProfileOut, auth=django_auth, summary="个人资料")
def profile(request):
    return _profile(request.user)


@router.put("/me/profile", response=ProfileOut, auth=django_auth, summary="修改姓名、电话、电子邮箱")
@errors(email_invalid=400, field_required=400, phone_invalid=400)
def profile_update(request, payload: ProfileIn):
    user_profile_update(user=request.user, display_name=payload.display_name, phone=payload.phone,
                        email=payload.email, now=timezone.now())
    return _profile(request.user)
