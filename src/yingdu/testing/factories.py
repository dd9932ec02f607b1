"""Build users, organisations and enterprises through the real services."""

import itertools

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.services import (
    organisation_add_member,
    organisation_create,
    role_grant,
    totp_device_issue,
    user_register,
)
from yingdu.actors import SYSTEM
from yingdu.enterprises.services import EnterpriseDetails, enterprise_register, enterprise_verify
from yingdu.rules.uscc import uscc_check_character

PASSWORD = "Correct-Horse-7391"


def pdf_bytes(title: str = "") -> bytes:
    """A small valid one-page PDF (pypdf); a title makes different bytes."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if title:
        writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def image_bytes(kind: str = "PNG", colour: tuple[int, int, int] = (155, 28, 28)) -> bytes:
    """A small valid PNG or JPEG (Pillow); another colour makes different bytes."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format=kind)
    return buffer.getvalue()


PDF_BYTES = pdf_bytes()
PNG_BYTES = image_bytes()
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
        role_grant(user=user, role=role, actor=SYSTEM, now=timezone.now())
    if totp:
        totp_device_issue(user=user, name="test", actor=SYSTEM, now=timezone.now())
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
    organisation_add_member(organisation=organisation, user=user, now=timezone.now())
    return user


def make_work(enterprise, *, tag: str | None = None, start=None, end=None, title: str = "测试微短剧"):
    """A work of a verified enterprise, declared by its member."""
    from datetime import date

    from yingdu.works.services import work_declare

    return work_declare(
        enterprise=enterprise, actor=enterprise.registered_by, title=title, form="micro_drama",
        project_tag=tag or f"tag-{next(_counter)}", production_start_on=start or date(2026, 1, 1),
        production_end_on=end or date(2026, 12, 31), now=timezone.now())


def make_metering_provider(*, price_fen: int = 800, sku: str = "gpu-a100-hour"):
    """A provider with an operator, an Ed25519 signing key and one SKU priced since 2020; returns a namespace."""
    import base64
    from datetime import datetime
    from datetime import timezone as dt_timezone
    from types import SimpleNamespace

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from yingdu.metering import services as metering
    from yingdu.testing.clients import verified

    operator = verified(make_user())
    provider = metering.provider_register(name=f"测试算力中心{next(_counter)}", uscc=unique_uscc(), is_local=True,
                                          operator=operator, actor=SYSTEM, now=timezone.now())
    operator.refresh_from_db()
    private_key = Ed25519PrivateKey.generate()
    public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    long_ago = datetime(2020, 1, 1, tzinfo=dt_timezone.utc)
    signing_key = metering.signing_key_add(
        provider=provider, public_key_base64=base64.b64encode(public_key).decode(), label="test",
        valid_from=long_ago, valid_until=None, actor=operator, now=long_ago)
    metering.catalogue_price_add(provider=provider, sku=sku, name="A100 卡时", category="compute", unit="卡时",
                                 price_fen=price_fen, effective_from=long_ago, actor=operator, now=long_ago)
    _key, api_key = metering.api_key_create(provider=provider, label="test", actor=operator, now=timezone.now())
    return SimpleNamespace(provider=provider, operator=operator, private_key=private_key, signing_key=signing_key,
                           api_key=api_key, sku=sku, price_fen=price_fen)


def usage_record(enterprise_uscc: str, project_tag: str, *, record_id: str | None = None, sku: str = "gpu-a100-hour",
                 quantity: str = "2.5", started_at: str = "2026-11-20T09:00:00+08:00",
                 ended_at: str = "2026-11-20T11:30:00+08:00", **extra) -> dict:
    return {"record_id": record_id or f"rec-{next(_counter)}", "enterprise_uscc": enterprise_uscc,
            "project_tag": project_tag, "sku": sku, "quantity": quantity, "started_at": started_at,
            "ended_at": ended_at, **extra}


def calendar_from_year_cleared(year: int) -> None:
    """Remove every calendar version (official or provisional) of ``year`` and later, so that a test does not depend
    on which provisional years the seed derived for the real date."""
    from yingdu.policy.models import CalendarSpecialDay, CalendarYearVersion

    CalendarSpecialDay.objects.filter(year_version__year__gte=year).delete()
    CalendarYearVersion.objects.filter(year__gte=year).delete()
