"""Four eyes in tests: one staff member proposes a step and a second confirms it, through the real services."""

import pytest

from yingdu.errors import SecondPersonRequired


def two_people(call, *, first, second, **kwargs):
    """``call(actor=first, **kwargs)`` records a proposal; the same call by ``second`` runs the step and returns."""
    with pytest.raises(SecondPersonRequired) as proposed:
        call(actor=first, **kwargs)
    assert proposed.value.detail["proposal"] > 0
    return call(actor=second, **kwargs)
