"""Every row of the works tables is recomputed from the log: an edit of any column, a deleted row and an inserted
row are each named by the database audit."""

import json

import pytest
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.audits.dbaudit import db_audit
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff
from yingdu.testing.tamper import assert_tampering_is_named
from yingdu.transparency.catalogue import CATALOGUE
from yingdu.transparency.models import LogEntry
from yingdu.works.models import OverseasDistribution, Work, WorkDetails, WorkRelease

from .tamper import FAR, work_with_records

pytestmark = pytest.mark.django_db

WORKS_TABLES = (Work, WorkDetails, WorkRelease, OverseasDistribution)


@pytest.fixture
def work():
    enterprise = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    return work_with_records(enterprise, now=timezone.now())


def test_every_works_column_is_recorded_by_an_entry(work):
    report = db_audit()
    assert report.ok, report.summary()
    for model in WORKS_TABLES:
        table = model._meta.db_table
        assert report.rows_checked[table] > 0
        assert table not in report.not_in_entries, report.not_in_entries[table]
        assert table not in report.tables_unexplained


def test_works_entries_match_their_declarations(work):
    types = set()
    for event_type, entry in LogEntry.objects.filter(event_type__startswith="works.").values_list("event_type",
                                                                                                   "entry"):
        CATALOGUE.validate(json.loads(bytes(entry)))
        types.add(event_type)
    assert types == {"works.declare", "works.details_record", "works.release_record", "works.distribution_record"}


def test_tampering_with_a_work_is_named(work):
    assert_tampering_is_named(Work, project_tag="tamper-copy")


def test_tampering_with_work_details_is_named(work):
    assert_tampering_is_named(WorkDetails, revision=FAR)


def test_tampering_with_a_release_is_named(work):
    assert_tampering_is_named(WorkRelease, supersedes_id=None)


def test_tampering_with_an_overseas_distribution_is_named(work):
    assert_tampering_is_named(OverseasDistribution, supersedes_id=None)
