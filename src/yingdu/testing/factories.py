"""Build users, organisations and enterprises through the real services."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.services import organisation_add_member, organisation_create, role_grant, user_register
from yingdu.enterprises.services import EnterpriseDetails, enterprise_register, enterprise_verify
from yingdu.rules.uscc import uscc_check_character

PASSWORD = "Correct-Horse-7391"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_counter = itertools.count(1)


def unique_uscc() -> str:
    """A fresh valid USCC (Beijing Huairou prefix, serial body, computed check character)."""
    body = f"91110116MA{next(_counter):07d}"
    return body + uscc_check_character(body)


def licence_pdf(name: str = "营业执照.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def make_user(username: str | None = None, *, roles: tuple[str, ...] = (), totp: bool = False, **fields):
    user = user_register(username=username or f"user{next(_counter)}", password=PASSWORD,
                         display_name=fields.pop("display_name", "测试用户"), now=timezone.now(), **fields)
    for role in roles:
        role_grant(user=user, role=role, actor=None, now=timezone.now())
    if totp:
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def make_staff(role: str, username: str | None = None):
    return make_user(username, roles=(role,), totp=True, display_name=f"{Role(role).label}")


def enterprise_details(**overrides) -> EnterpriseDetails:
    values = dict(name="北京怀柔测试影视有限公司", uscc=unique_uscc(), registered_address="北京市怀柔区雁栖镇1号",
                  legal_representative="张三", contact_name="李四", contact_phone="13800138000")
    values.update(overrides)
    return EnterpriseDetails(**values)


def make_enterprise(*, member=None, verified_by=None, **overrides):
    member = member or make_user()
    enterprise = enterprise_register(user=member, details=enterprise_details(**overrides), licence=licence_pdf(),
                                     now=timezone.now())
    if verified_by is not None:
        enterprise = enterprise_verify(enterprise=enterprise, actor=verified_by, huairou_confirmed=True,
                                       now=timezone.now())
    return enterprise


def make_provider_operator():
    user = make_user()
    organisation = organisation_create(kind=OrganisationKind.PROVIDER, name="测试算力服务商", now=timezone.now())
    organisation_add_member(organisation=organisation, user=user)
    return user
