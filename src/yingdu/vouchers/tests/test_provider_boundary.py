"""The provider boundary (issue 13): a provider redeems only with the holder's one-time code, and without a valid
code every refusal looks the same and discloses nothing; wrong codes lock the provider out for a while."""

from datetime import date, timedelta

import pytest

from yingdu.accounts.models import Role
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_metering_provider, make_staff
from yingdu.testing.redemptions import code_for
from yingdu.transparency.models import LogEntry
from yingdu.vouchers import redemptions, services
from yingdu.vouchers.models import RedemptionCode, RedemptionCodeStatus, RedemptionStatus
from yingdu.vouchers.numbers import voucher_number_new

from .conftest import at, issue

pytestmark = pytest.mark.django_db

DAY = date(2030, 3, 10)
NOW = at(DAY)


def redeem(metered, voucher_number, code, *, order_ref="ORD-1", amount_fen=10_000, now=NOW, provider=None):
    return redemptions.redemption_submit(provider=provider or metered.provider, voucher_number=voucher_number,
                                         code=code, order_ref=order_ref, category="compute", amount_fen=amount_fen,
                                         actor=metered.operator, now=now)


def refusal(call) -> DomainError:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value


def assert_invalid(error: DomainError) -> None:
    """The one answer to every refusal a provider can provoke without a valid code."""
    assert (error.code, error.status, error.detail) == ("voucher_or_code_invalid", 404, {})
    assert str(error.message) == str(redemptions.MSG_VOUCHER_OR_CODE_INVALID)


@pytest.fixture
def voucher(voucher_policy, enterprise, approver):
    return issue(enterprise, approver, 1_000_000)


def test_a_provider_guessing_numbers_and_codes_learns_nothing(voucher, metered, finance, approver):
    code = code_for(voucher, now=NOW)
    revoked = issue(voucher.enterprise, approver, 500_000)
    revoked_code = code_for(revoked, now=NOW)
    two_people(services.voucher_revoke, first=finance, second=verified(make_staff(Role.FINANCE)), voucher=revoked,
               reason="材料不实", now=NOW)
    start = LogEntry.objects.count()
    attempts = [
        (voucher_number_new(2030), code),            # an unknown (well-formed) number with a real code
        ("HR-2030-000001", code),                    # an old-style sequential guess
        (voucher.number, "ABCD-EFGH-JKMN-PQRS"),     # the right number with a wrong code
        (voucher.number, "not a code"),              # …or something that is no code at all
        (revoked.number, revoked_code),              # a revoked voucher with its (unused) code
    ]
    errors = [refusal(lambda n=number, c=typed: redeem(metered, n, c)) for number, typed in attempts]
    for error in errors:
        assert_invalid(error)
    assert LogEntry.objects.count() == start and voucher.redemptions.count() == 0


def test_a_used_code_cannot_be_used_again(voucher, metered):
    code = code_for(voucher, now=NOW)
    first = redeem(metered, voucher.number, code, order_ref="A")
    assert first.created and first.redemption.status == RedemptionStatus.PENDING
    # the same request again is the same redemption (idempotent on the order), a new order is refused
    assert redeem(metered, voucher.number, code, order_ref="A").redemption.pk == first.redemption.pk
    assert_invalid(refusal(lambda: redeem(metered, voucher.number, code, order_ref="B")))
    used = RedemptionCode.objects.get()
    assert used.status == RedemptionCodeStatus.USED and used.redemption == first.redemption


def test_an_expired_code_is_refused(voucher, metered):
    code = code_for(voucher, now=NOW)
    expires_at = RedemptionCode.objects.get().expires_at
    assert expires_at - NOW == redemptions.CODE_VALIDITY
    assert_invalid(refusal(lambda: redeem(metered, voucher.number, code, now=expires_at)))
    assert redeem(metered, voucher.number, code, now=expires_at - timedelta(seconds=1)).created


def test_a_code_bound_to_one_provider_is_refused_to_another(voucher, metered):
    code = code_for(voucher, now=NOW, provider=metered.provider)
    other = make_metering_provider()
    assert_invalid(refusal(lambda: redeem(metered, voucher.number, code, provider=other.provider)))
    assert redeem(metered, voucher.number, code).created


def test_an_amount_over_the_codes_limit_is_refused_and_within_it_confirmed_at_once(voucher, metered, member):
    code = code_for(voucher, now=NOW, max_amount_fen=50_000)
    over = refusal(lambda: redeem(metered, voucher.number, code, amount_fen=50_001))
    assert over.code == "redemption_code_limit_exceeded" and "500" not in str(over.message)
    # the refused attempt did not use the code
    result = redeem(metered, voucher.number, code, amount_fen=50_000)
    redemption = result.redemption
    assert redemption.status == RedemptionStatus.CONFIRMED and redemption.decided_by == member
    voucher.account.refresh_from_db()
    assert voucher.account.balance_fen == 950_000


def test_with_a_valid_code_the_balance_error_names_no_figure(voucher, metered):
    code = code_for(voucher, now=NOW)
    error = refusal(lambda: redeem(metered, voucher.number, code, amount_fen=1_000_001))
    assert error.code == "voucher_insufficient_balance" and error.detail == {}
    assert "10,000" not in str(error.message) and "1,000,000" not in str(error.message)


def test_the_enterprise_revokes_a_code_and_it_no_longer_works(voucher, metered, member):
    code = code_for(voucher, now=NOW)
    row = RedemptionCode.objects.get()
    start = LogEntry.objects.count()
    redemptions.redemption_code_revoke(code=row, actor=member, now=at(DAY, 11))
    assert list(LogEntry.objects.filter(index__gte=start).values_list("event_type", flat=True)) == [
        "vouchers.redemption_code_revoke"]
    assert_invalid(refusal(lambda: redeem(metered, voucher.number, code, now=at(DAY, 12))))
    again = refusal(lambda: redemptions.redemption_code_revoke(code=row, actor=member, now=at(DAY, 12)))
    assert again.code == "redemption_code_not_active"


def test_only_a_member_of_the_holder_creates_or_revokes_codes(voucher, metered, finance, approver):
    for actor in (metered.operator, finance, approver):
        error = refusal(lambda a=actor: code_for(voucher, now=NOW, member=a))
        assert error.code == "voucher_not_found"
    code_for(voucher, now=NOW)
    row = RedemptionCode.objects.get()
    for actor in (metered.operator, finance):
        error = refusal(lambda a=actor: redemptions.redemption_code_revoke(code=row, actor=a, now=NOW))
        assert error.code == "redemption_code_not_found"


def test_a_code_cannot_be_bound_to_a_provider_that_is_not_local_or_limited_beyond_the_balance(voucher, metered):
    metered.provider.is_local = False
    assert refusal(lambda: code_for(voucher, now=NOW, provider=metered.provider)).code == "provider_not_local"
    over = refusal(lambda: code_for(voucher, now=NOW, max_amount_fen=1_000_001))
    assert over.code == "redemption_code_limit_above_available"
    assert refusal(lambda: code_for(voucher, now=NOW, max_amount_fen=0)).code == "amount_invalid"
    assert not RedemptionCode.objects.exists()


def test_wrong_codes_lock_the_provider_out_for_the_window(voucher, metered):
    code = code_for(voucher, now=NOW)
    for attempt in range(redemptions.CODE_FAILURE_LIMIT):
        assert_invalid(refusal(lambda a=attempt: redeem(metered, voucher.number, f"WRONG-{a:04d}-0000-0000")))
    locked = refusal(lambda: redeem(metered, voucher.number, code))
    assert (locked.code, locked.status) == ("redemption_code_locked", 429)
    # another provider is not affected, and the locked provider's own earlier orders still replay
    other = make_metering_provider()
    assert redeem(metered, voucher.number, code, provider=other.provider, order_ref="OTHER").created
    from django.core.cache import cache
    cache.clear()  # the window ends
    fresh = code_for(voucher, now=NOW)
    assert redeem(metered, voucher.number, fresh, order_ref="AFTER").created
