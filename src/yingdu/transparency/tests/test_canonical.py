import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from yingdu.transparency.canonical import canonical_json

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | any_text
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4),
    max_leaves=20,
)


def _reference(value):
    try:
        return rfc8785.dumps(value)
    except Exception as error:  # the reference refuses some values; ours must refuse them too
        return type(error)


def _ours(value):
    try:
        return canonical_json(value)
    except Exception as error:
        return type(error)


@settings(max_examples=400)
@given(json_values)
def test_fast_canonical_json_matches_rfc8785_byte_for_byte(value):
    reference = _reference(value)
    ours = _ours(value)
    if isinstance(reference, bytes):
        assert ours == reference
    else:
        assert not isinstance(ours, bytes)


# The flat dicts of the hot path (usage records, log entries): ASCII keys, scalar values of any text.
flat_dicts = st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127), max_size=8), scalars, max_size=8)


@settings(max_examples=400)
@given(flat_dicts)
def test_flat_canonical_json_matches_rfc8785_byte_for_byte(value):
    reference = _reference(value)
    ours = _ours(value)
    if isinstance(reference, bytes):
        assert ours == reference
    else:
        assert not isinstance(ours, bytes)


@pytest.mark.parametrize("value", [
    {"b": 1, "a": "怀柔\u2028\x7f\x1f\"\\"},
    {"big": 2**53 - 1, "small": -(2**53 - 1)},
    {"\U0001f600": 1, "\uffff": 2},
    {"nested": [{"z": None, "y": True}, []]},
])
def test_edge_values_match_rfc8785(value):
    assert canonical_json(value) == rfc8785.dumps(value)


def test_floats_take_the_reference_path():
    assert canonical_json({"x": 1.5}) == rfc8785.dumps({"x": 1.5})


def test_integers_beyond_the_safe_range_are_refused_like_the_reference():
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_json({"big": 2**53})
