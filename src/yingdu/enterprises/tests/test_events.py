"""Every row of the enterprise registry is recomputed from the log: a direct edit, deletion or insertion in the
database is named by the database audit (table, row, field)."""

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.accounts.models import OrganisationKind, Role
from yingdu.accounts.services import organisation_create
from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.enterprises import services
from yingdu.enterprises.events import REGISTERED, TRANSITIONED
from yingdu.enterprises.models import Enterprise, EnterpriseState, EnterpriseStateChange
from yingdu.enterprises.workflow import TRANSITIONS, EnterpriseAction
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import make_enterprise, make_staff
from yingdu.transparency.models import LogEntry

pytestmark = pytest.mark.django_db

ENTERPRISE = Enterprise._meta.db_table
CHANGE = EnterpriseStateChange._meta.db_table


def _delete(model, pk) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [pk])


def _copy(instance, **changes):
    """A row inserted directly in the database: a copy of ``instance`` with ``changes``."""
    instance.pk = instance.id = None
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.save(force_insert=True)
    return instance


def _only(report, table: str, kind: str, row):
    found = [mismatch for mismatch in report.mismatches if mismatch.table == table and mismatch.row == row
             and mismatch.kind == kind]
    assert found, report.summary()
    return found[0]


@pytest.fixture
def registry():
    """Enterprises through every transition: verified; rejected, resubmitted; disqualified then reinstated."""
    now = timezone.now()
    reviewer = verified(make_staff(Role.REVIEWER))
    admin = verified(make_staff(Role.ADMIN))
    verified_one = make_enterprise(verified_by=reviewer)
    rejected = make_enterprise()
    services.enterprise_reject(enterprise=rejected, actor=reviewer, reason="材料不全", now=now)
    services.enterprise_resubmit(enterprise=rejected, actor=verified(rejected.registered_by), reason="已补充", now=now)
    reinstated = make_enterprise(verified_by=reviewer)
    services.enterprise_disqualify(enterprise=reinstated, actor=admin, reason="虚假材料", effective_on=date(2026, 5, 1),
                                   now=now)
    two_people(services.enterprise_reinstate, first=admin, second=verified(make_staff(Role.ADMIN)),
               enterprise=reinstated, reason="复核无误", effective_on=date(2026, 6, 1), now=now)
    return {"verified": verified_one, "rejected": rejected, "reinstated": reinstated}


def test_every_transition_has_its_declared_entry_type():
    assert set(TRANSITIONED) == set(TRANSITIONS) == set(EnterpriseAction) - {EnterpriseAction.REGISTER}
    assert {declared.name for declared in TRANSITIONED.values()} == {
        "enterprises.verify", "enterprises.reject", "enterprises.disqualify", "enterprises.reinstate",
        "enterprises.resubmit"}


def test_the_registry_audits_clean_with_every_column_recomputed(registry):
    report = db_audit()
    assert report.ok, report.summary()
    assert report.rows_checked[ENTERPRISE] == 3 and report.rows_checked[CHANGE] == 9
    ours = {ENTERPRISE, CHANGE}
    assert not ours & {*report.not_in_entries, *report.tables_not_audited, *report.tables_unexplained}


def test_the_registration_entry_records_the_licence_without_its_file_name(registry):
    enterprise = registry["verified"]
    entry = next(entry for entry in LogEntry.objects.filter(event_type=REGISTERED.name).order_by("index")
                 if f'"enterprise":{enterprise.pk},'.encode() in bytes(entry.entry))
    text = bytes(entry.entry).decode()
    assert f'"licence_size":{enterprise.licence_size}' in text and enterprise.licence_content_type in text
    assert enterprise.licence_filename not in text and enterprise.contact_phone not in text


@pytest.mark.parametrize(("column", "value"), [
    ("licence_content_type", "image/png"), ("licence_size", 1), ("licence_filename", "forged.pdf"),
    ("state", EnterpriseState.VERIFIED), ("name", "改名"), ("contact_phone", "13800000000"),
    ("registered_address", "北京市朝阳区"), ("licence_sha256", "0" * 64),
])
def test_an_edited_enterprise_column_is_named(registry, column, value):
    enterprise = registry["rejected"]
    Enterprise.objects.filter(pk=enterprise.pk).update(**{column: value})
    assert column in _only(db_audit(), ENTERPRISE, EDITED, enterprise.pk).fields


@pytest.mark.parametrize(("column", "value"), [
    ("reason", "改过的理由"), ("to_state", EnterpriseState.PENDING), ("from_state", EnterpriseState.VERIFIED), ("effective_on", date(2026, 1, 1)),
    ("action", "verify"), ("actor_id", "another user"),
])
def test_an_edited_state_change_is_named(registry, column, value):
    change = registry["reinstated"].state_changes.order_by("-id").first()
    assert change.action == EnterpriseAction.REINSTATE
    if value == "another user":
        value = registry["verified"].registered_by_id
    EnterpriseStateChange.objects.filter(pk=change.pk).update(**{column: value})
    assert column in _only(db_audit(), CHANGE, EDITED, change.pk).fields


def test_deleted_and_inserted_enterprise_rows_are_named(registry):
    enterprise = registry["rejected"]
    change_ids = list(enterprise.state_changes.values_list("pk", flat=True))
    for change_id in change_ids:
        _delete(EnterpriseStateChange, change_id)
    _delete(Enterprise, enterprise.pk)
    report = db_audit()
    _only(report, ENTERPRISE, DELETED, enterprise.pk)
    for change_id in change_ids:
        _only(report, CHANGE, DELETED, change_id)


def test_inserted_enterprise_rows_are_named(registry):
    organisation = organisation_create(kind=OrganisationKind.ENTERPRISE, name="复制企业", now=timezone.now())
    copied = _copy(Enterprise.objects.get(pk=registry["verified"].pk), organisation_id=organisation.pk,
                   uscc="91110000600037341L")
    change = _copy(EnterpriseStateChange.objects.filter(enterprise=registry["verified"]).first())
    report = db_audit()
    _only(report, ENTERPRISE, INSERTED, copied.pk)
    _only(report, CHANGE, INSERTED, change.pk)
