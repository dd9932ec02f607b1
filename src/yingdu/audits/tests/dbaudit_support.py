"""A small programme built through the real services, for the database audit tests: every audited table has rows."""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.applications import services as applications
from yingdu.applications.tests.support import draft, eligible_works, staff
from yingdu.enterprises.services import enterprise_reject, enterprise_resubmit, enterprise_verify
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, usage_record
from yingdu.testing.redemptions import redeem_with_code
from yingdu.transparency.services import checkpoint_sign
from yingdu.vouchers.models import Voucher
from yingdu.vouchers.redemptions import redemption_confirm, redemption_reject
from yingdu.vouchers.services import (
    settlement_create,
    settlement_mark_paid,
    voucher_revoke,
)


@dataclass
class Programme:
    enterprise: object
    meter: object
    vouchers: list


def build_programme(*, works: int = 3, extra_usage: int = 20) -> Programme:
    """Enterprises (one rejected then resubmitted and verified), usage, approved applications with vouchers,
    redemptions confirmed / rejected, a settlement paid and a revocation; then a signed checkpoint."""
    reviewer = verified(make_staff(Role.REVIEWER))
    finance = verified(make_staff(Role.FINANCE))
    enterprise = make_enterprise(verified_by=reviewer)
    other = make_enterprise()
    now = timezone.now()
    enterprise_reject(enterprise=other, actor=reviewer, reason="材料不全", now=now)
    enterprise_resubmit(enterprise=other, actor=verified(other.registered_by), reason="已补充", now=now)
    enterprise_verify(enterprise=other, actor=reviewer, huairou_confirmed=True, now=now)
    meter = make_metering_provider()
    chosen = eligible_works(enterprise, meter, works)
    records = [usage_record(enterprise.uscc, chosen[n % works].project_tag, quantity=f"{n + 1}.25",
                            node_id=f"node-{n}") for n in range(extra_usage)]
    records.append(usage_record(enterprise.uscc, "no-such-tag"))
    body = signed_batch(records, meter.private_key, per_record=True)
    usage_batch_ingest(provider=meter.provider, key_id=meter.signing_key.key_id, records=body["records"],
                       batch_signature=None, now=timezone.now())
    review, approve = staff()
    member = verified(enterprise.registered_by)
    for number, work in enumerate(chosen):
        application = draft(work)
        application = applications.application_submit(application=application, actor=member, now=now)
        application = applications.application_accept(application=application, actor=review, now=now)
        application = applications.application_start_review(application=application, actor=review, now=now)
        if number == works - 1:
            applications.application_reject(application=application, actor=approve, reason="不符合条件", now=now)
        else:
            applications.application_approve(application=application, actor=approve, now=now, reason="符合条件")
    vouchers = list(Voucher.objects.filter(enterprise=enterprise).order_by("pk"))  # not the demo's
    operator = verified(meter.operator)
    first, second = (redeem_with_code(provider=meter.provider, voucher=vouchers[0], order_ref=f"ORDER-{n}",
                                      amount_fen=10_000 * (n + 1), actor=operator, now=now).redemption
                     for n in range(2))
    redemption_confirm(redemption=first, actor=member, now=now)
    redemption_reject(redemption=second, reason="订单不符", actor=member, now=now)
    statement = settlement_create(provider=meter.provider, period_start_on=date(2026, 1, 1),
                                  period_end_on=timezone.localdate(now), actor=finance, now=now)
    second_finance = verified(make_staff(Role.FINANCE))
    two_people(settlement_mark_paid, first=finance, second=second_finance, statement=statement,
               payment_reference="PAY-1", now=now)
    if len(vouchers) > 1:
        two_people(voucher_revoke, first=finance, second=second_finance, voucher=vouchers[1], reason="抽查发现问题",
                   now=now)
    checkpoint_sign(now=timezone.now())
    return Programme(enterprise=enterprise, meter=meter, vouchers=vouchers)
