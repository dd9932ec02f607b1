"""Separation of duties in the log: each write is an entry, and an edit behind the log's back is named."""

import pytest
from django.core.management import call_command

from yingdu.accounts.models import Role, RoleGrant, User
from yingdu.audits.dbaudit import db_audit
from yingdu.duties.cases import application_case
from yingdu.duties.models import PastMembership, Proposal, Recusal
from yingdu.duties.services import recusal_declare
from yingdu.errors import SecondPersonRequired
from yingdu.testing.tamper import assert_tampering_is_named
from yingdu.vouchers import services as vouchers

from .conftest import NOW, make_insider, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(world):
    make_insider(world.member)
    recusal_declare(actor=world.reviewer, case=application_case(world.application), reason="亲属", now=NOW)
    with pytest.raises(SecondPersonRequired):
        vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=world.finance, now=NOW)
    vouchers.voucher_revoke(voucher=world.voucher, reason="违规", actor=staff(Role.FINANCE), now=NOW)
    return world


@pytest.mark.parametrize("model", [PastMembership, Recusal, Proposal], ids=lambda m: m.__name__)
def test_tampering_with_a_duties_table_is_named(recorded, model):
    overrides = {"status": "refused"} if model is Proposal else {}
    assert_tampering_is_named(model, **overrides)


def test_a_membership_ended_behind_the_log_is_named(recorded):
    past = PastMembership.objects.get()
    User.objects.filter(pk=past.user_id).update(organisation_id=past.organisation_id)
    assert any(m.table == "accounts_user" and m.row == past.user_id for m in db_audit().mismatches)


def test_the_report_names_existing_data_that_breaks_the_rules_and_changes_nothing(world, capsys):
    call_command("duties_report")
    assert "0 finding(s)" in capsys.readouterr().out
    # data from before the rule: a member who also holds a staff role (written behind the services)
    member = world.member
    RoleGrant.objects.create(user=member, role=Role.REVIEWER, granted_at=NOW, granted_by=None)
    call_command("duties_report")
    out = capsys.readouterr().out
    assert "staff_and_member" in out and f"user {member.pk}" in out and "1 finding(s)" in out
    with pytest.raises(Exception, match="separation-of-duties findings"):
        call_command("duties_report", "--check")
    assert RoleGrant.objects.filter(user=member, revoked_at__isnull=True).count() == 1
    assert User.objects.get(pk=member.pk).organisation_id == world.enterprise.organisation_id
