from datetime import date, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from yingdu.accounts.models import Role
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.metering.models import UsageRecord
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.factories import (
    PDF_BYTES,
    licence_pdf,
    make_enterprise,
    make_metering_provider,
    make_staff,
    make_user,
    make_work,
    usage_record,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """An Asia/Shanghai moment from 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)


def evidence(name: str = "对账单.pdf"):
    return licence_pdf(name, PDF_BYTES)


@pytest.fixture
def world():
    """A verified enterprise (member with e-mail) with a work, a provider and three records in September 2026."""
    reviewer = verified(make_staff(Role.REVIEWER))
    member = make_user(email="contact@drama.example.cn")
    enterprise = make_enterprise(member=member, verified_by=reviewer)
    work = make_work(enterprise, tag="drama-notice", start=date(2026, 9, 1), end=date(2026, 12, 31))
    meter = make_metering_provider(price_fen=800)
    raw = [usage_record(enterprise.uscc, "drama-notice", quantity=q, started_at=f"2026-09-{day}T09:00:00+08:00",
                        ended_at=f"2026-09-{day}T11:00:00+08:00")
           for q, day in (("10", "10"), ("2.5", "11"), ("4", "12"))]
    body = signed_batch(raw, meter.private_key)
    results = usage_batch_ingest(provider=meter.provider, key_id=body["key_id"], records=body["records"],
                                 batch_signature=body["batch_signature"], now=at("2026-09-20 12:00"))
    assert all(r.status == "accepted" for r in results)
    records = [UsageRecord.objects.get(provider=meter.provider, record_id=r["record_id"]) for r in raw]
    return SimpleNamespace(reviewer=reviewer, member=verified(member), enterprise=enterprise, work=work, meter=meter,
                           records=records)
