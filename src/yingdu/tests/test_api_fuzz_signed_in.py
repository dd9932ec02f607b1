"""Schemathesis over the whole OpenAPI document as a signed-in enterprise member and as staff with two-factor (the
anonymous and API-key runs are in test_api_fuzz.py)."""

import pytest

from .test_api_fuzz import _enterprise_member, _staff, fuzz_as


@pytest.mark.django_db
@pytest.mark.parametrize("identity", [_enterprise_member, _staff], ids=["enterprise_member", "staff_two_factor"])
def test_fuzz_as_a_signed_in_user_finds_no_server_error_and_no_undocumented_answer(identity):
    fuzz_as(identity)
