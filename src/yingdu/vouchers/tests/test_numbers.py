"""Voucher numbers and redemption codes (issue 13): the format, the check symbol, normalisation, and the retry when
a drawn number is already taken."""

import itertools
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.vouchers import services
from yingdu.vouchers.numbers import (
    ALPHABET,
    check_symbol,
    redemption_code_hash,
    redemption_code_new,
    voucher_number_new,
    voucher_number_normalise,
)

from .conftest import issue

NUMBER = re.compile(r"^HR-(\d{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{4})-([0-9A-HJKMNP-TV-Z]{5})$")
symbols = st.text(alphabet=ALPHABET, min_size=12, max_size=12)


def test_a_new_number_has_the_year_twelve_random_crockford_symbols_and_a_check_symbol():
    number = voucher_number_new(2026)
    match = NUMBER.match(number)
    assert match is not None and match.group(1) == "2026"
    body = "".join(match.groups()[1:])
    assert len(body) == 13 and not set(body) & set("ILOU")
    assert body[-1] == check_symbol("2026" + body[:-1])
    assert voucher_number_normalise(number) == number


def test_numbers_come_from_the_csprng_and_do_not_repeat():
    numbers = {voucher_number_new(2026) for _ in range(2000)}
    assert len(numbers) == 2000
    # every symbol of the alphabet appears in the random part: not a counter, not a narrow range
    assert set("".join(n[8:] for n in numbers).replace("-", "")) == set(ALPHABET)


def test_known_check_symbol():
    # Luhn mod 32 over "2026" + "000000000001", from the right: 1 doubled = 2, the 6 doubled = 12, the two 2s as
    # they are: 18, and 32 − 18 = 14 = "E"
    assert check_symbol("2026000000000001") == "E"
    assert voucher_number_new(2026, symbols=lambda n: "0" * (n - 1) + "1") == "HR-2026-0000-0000-0001E"


@given(symbols, st.integers(min_value=0, max_value=11), st.sampled_from(ALPHABET))
def test_any_single_mistyped_symbol_is_caught(body, position, replacement):
    number = voucher_number_new(2030, symbols=lambda n: body)
    typed = list(body)
    if typed[position] == replacement:
        return
    typed[position] = replacement
    payload = "".join(typed)
    wrong = f"HR-2030-{payload[:4]}-{payload[4:8]}-{payload[8:]}{number[-1]}"
    assert voucher_number_normalise(wrong) is None


@given(symbols, st.integers(min_value=0, max_value=10))
def test_a_swap_of_two_adjacent_symbols_is_caught_unless_they_are_0_and_z(body, position):
    first, second = body[position], body[position + 1]
    if first == second or {first, second} == {ALPHABET[0], ALPHABET[-1]}:  # Luhn mod N misses only (0, N-1): 0 and Z
        return
    number = voucher_number_new(2030, symbols=lambda n: body)
    swapped = body[:position] + second + first + body[position + 2:]
    assert voucher_number_normalise(f"HR-2030-{swapped}{number[-1]}") is None


def test_typed_variants_normalise_and_old_numbers_are_kept():
    number = voucher_number_new(2026, symbols=lambda n: "10ABCDEFGHJK")
    # lower case, spaces for hyphens, l for 1 and o for 0 in the symbols
    relaxed = "hr-2026-" + number[8:].lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert voucher_number_normalise(relaxed) == number
    assert voucher_number_normalise(" hr-2026-000002 ") == "HR-2026-000002"
    for wrong in ("", "HR-2026", "HR-26-0000-0000-0001T", "XX-2026-0000-0000-0001T", "HR-2026-0000-0000-0001U",
                  "HR-2026-0000-0000-00001T"):
        assert voucher_number_normalise(wrong) is None, wrong


def test_a_code_is_sixteen_symbols_and_only_its_hash_is_kept():
    code = redemption_code_new()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    digest = redemption_code_hash(code)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert redemption_code_hash(code.lower().replace("-", " ")) == digest
    assert redemption_code_hash(code[:-1]) is None and redemption_code_hash("") is None
    assert redemption_code_hash(code[:-1] + "U") is None


@pytest.mark.django_db
def test_issuance_draws_again_when_a_number_is_taken(voucher_policy, enterprise, approver, monkeypatch):
    first = issue(enterprise, approver, 1_000)
    drawn = itertools.chain([first.number, first.number], iter(lambda: voucher_number_new(2030), None))
    calls = []

    def draw(year):
        calls.append(year)
        return next(drawn)

    monkeypatch.setattr(services, "voucher_number_new", draw)
    second = issue(enterprise, approver, 1_000)
    assert len(calls) == 3 and second.number != first.number and NUMBER.match(second.number)
