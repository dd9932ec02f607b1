import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingdu.rules.uscc import USCC_ALPHABET, UsccProblem, normalize_uscc, uscc_check_character, validate_uscc

# Real codes printed on business licences (the second from a Hangzhou company), cited in the foundation issue.
VALID = ["91110000600037341L", "91330100799655058B"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_are_accepted(code):
    assert validate_uscc(code) == code


def test_spaces_hyphens_and_lower_case_are_normalised():
    assert validate_uscc(" 9111-0000 6000 3734 1l ") == "91110000600037341L"
    assert normalize_uscc("9133\u30000100-799655058b") == "91330100799655058B"


def test_wrong_check_digit_names_the_expected_character():
    with pytest.raises(UsccProblem) as caught:
        validate_uscc("91110000600037341M")
    assert caught.value.code == "uscc_check_digit"
    assert caught.value.expected == "L"
    assert caught.value.position == 18


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
def test_forbidden_letters_are_refused_with_their_position(letter):
    code = "9111000060003734" + letter + "L"
    with pytest.raises(UsccProblem) as caught:
        validate_uscc(code)
    assert caught.value.code == "uscc_character"
    assert caught.value.position == 17
    assert caught.value.character == letter


@pytest.mark.parametrize("code", ["", "9111000060003734", "91110000600037341LL", "911100006000373411L"])
def test_wrong_length_is_refused(code):
    with pytest.raises(UsccProblem) as caught:
        validate_uscc(code)
    assert caught.value.code == "uscc_length"


def test_punctuation_is_a_character_error_not_a_silent_drop():
    with pytest.raises(UsccProblem) as caught:
        validate_uscc("91110000600037341.")
    assert caught.value.code == "uscc_character"


bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_every_body_with_its_computed_check_character_is_valid(body):
    assert validate_uscc(body + uscc_check_character(body)) == body + uscc_check_character(body)


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_character_substitution_is_detected(body, position, replacement):
    code = body + uscc_check_character(body)
    if code[position] == replacement:
        return
    altered = code[:position] + replacement + code[position + 1:]
    with pytest.raises(UsccProblem) as caught:
        validate_uscc(altered)
    assert caught.value.code == "uscc_check_digit"
