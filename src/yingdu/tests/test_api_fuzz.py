"""Schemathesis over the whole OpenAPI document, as each kind of client, in the normal suite (issue 15)."""

import os
import time

import pytest
import schemathesis
from django.test import Client
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user, make_work
from yingdu.testing.fuzz import fuzz, session_for

# A few dozen cases per operation keeps each identity's run to well under a minute on a loaded two-core machine.
EXAMPLES_PER_OPERATION = int(os.environ.get("YINGDU_FUZZ_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _enterprise_member():
    staff = make_staff(Role.REVIEWER)
    member = make_user()
    enterprise = make_enterprise(member=member, verified_by=verified(staff))
    make_work(enterprise)
    return client_for(member), {}


def _provider_key():
    provider = make_metering_provider()
    return Client(), {"X-API-Key": provider.api_key}


def _staff():
    return client_for(make_staff(Role.ADMIN)), {}


def _anonymous():
    return Client(), {}


def fuzz_as(identity) -> None:
    """Every operation of the OpenAPI document with generated cases, as the client ``identity()`` returns."""
    client, headers = identity()
    schema = schemathesis.openapi.from_dict(Client().get("/api/v1/openapi.json").json())
    started = time.monotonic()
    report = fuzz(schema, session_for(client, headers=headers), max_examples=EXAMPLES_PER_OPERATION, checks=CHECKS)
    elapsed = time.monotonic() - started
    assert report.cases >= len(list(schema.get_all_operations())), report
    assert not report.failures, "\n\n".join(f"{label}\n{failure}" for label, failure in report.failures.items())
    print(f"{identity.__name__}: {report.cases} cases in {elapsed:.0f} s")


# The signed-in identities are in test_api_fuzz_signed_in.py: a file runs in one test worker, and the four runs are
# the longest of the suite, so two files let two workers share them.
@pytest.mark.django_db
@pytest.mark.parametrize("identity", [_anonymous, _provider_key], ids=["anonymous", "provider_key"])
def test_fuzz_finds_no_server_error_and_no_undocumented_answer(identity):
    fuzz_as(identity)
