"""Every row of the policy and calendar tables is recomputed from the log: a direct edit, deletion or insertion in the
database is named by the database audit (table, row, field)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.policy import services
from yingdu.policy.events import DRAFT_CREATED, REMINDER_SENT, YEAR_PUBLISHED
from yingdu.policy.models import (
    CalendarKind,
    CalendarReminder,
    CalendarSpecialDay,
    CalendarYearVersion,
    PolicyStatus,
    PolicyVersion,
)
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.transparency.catalogue import CATALOGUE

from .support import CALENDAR_2027_CSV, log_entries_from, log_size

pytestmark = pytest.mark.django_db

POLICY = PolicyVersion._meta.db_table
YEAR = CalendarYearVersion._meta.db_table
DAY = CalendarSpecialDay._meta.db_table
REMINDER = CalendarReminder._meta.db_table


@pytest.fixture(autouse=True)
def _no_calendar_from_2027():
    """Overrides the package's fixture: these tests audit the seeded calendar, so no row of it is deleted."""


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _delete(model, pk) -> None:
    _sql(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [pk])


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


def _audited_clean():
    report = db_audit()
    assert report.ok, report.summary()
    return report


def _default() -> PolicyVersion:
    return PolicyVersion.objects.get(version_id=HUAIROU_2026_DEFAULT["version_id"])


def _publish_2027(admin, now) -> CalendarYearVersion:
    preview = services.calendar_year_import_preview(text=CALENDAR_2027_CSV, fmt="csv", actor=admin)
    return services.calendar_year_publish(year=preview.year, special_days=preview.special_days,
                                          source="https://www.gov.cn/2027", actor=admin, now=now)


@pytest.fixture
def programme(admin):
    """A draft changed then published, a later draft, the admins' reminder and an imported official year."""
    now = timezone.now()
    draft = services.policy_version_create_draft(version_id="huairou-2027-01", title="修订", actor=admin, now=now)
    draft = services.policy_version_update_draft(version=draft, changes={"regular_rate": "0.35",
                                                                         "change_note": "比例调整"},
                                                 actor=admin, now=now)
    published = services.policy_version_publish(version=draft, effective_from=timezone.localdate(now) + timedelta(1),
                                                actor=admin, now=now)
    later = services.policy_version_create_draft(version_id="huairou-2027-02", title="再修订", actor=admin, now=now)
    services.calendar_provisional_years_ensure(today=date(2026, 11, 1), now=now)
    reminder = services.calendar_reminder_send(today=date(2026, 11, 2), now=now)
    year = _publish_2027(admin, now)
    return {"published": published, "draft": later, "reminder": reminder, "year": year}


def test_the_seeded_policy_and_calendar_are_declared_entries_and_audit_clean():
    report = _audited_clean()
    assert report.rows_checked[POLICY] >= 1 and report.rows_checked[DAY] > 100
    # every column of every policy and calendar table is recomputed: none is listed as not audited
    ours = {POLICY, YEAR, DAY, REMINDER}
    assert not ours & {*report.not_in_entries, *report.tables_not_audited, *report.tables_unexplained}
    for entry_type in ("policy.draft_created", "policy.version_published", "calendar.year_published"):
        assert CATALOGUE.get(entry_type) is not None


def test_raising_the_published_default_rate_in_the_database_is_caught():
    default = _default()
    PolicyVersion.objects.filter(pk=default.pk).update(regular_rate="0.9000")
    mismatch = _only(db_audit(), POLICY, EDITED, default.pk)
    assert mismatch.fields == ("regular_rate",)


@pytest.mark.parametrize(("column", "value"), [
    ("objection_window_working_days", 1), ("sla_working_days", 200), ("regular_cap_fen", 1),
    ("eligible_service_categories", ["compute"]), ("materials_checklist", []), ("effective_from", date(2026, 1, 1)),
    ("rounding_rule", "down"), ("annual_budget_fen", 5), ("title", "x"),
    ("published_at", datetime(2026, 3, 1, tzinfo=UTC)),
])
def test_every_term_of_the_published_default_is_audited(column, value):
    default = _default()
    PolicyVersion.objects.filter(pk=default.pk).update(**{column: value})
    assert _only(db_audit(), POLICY, EDITED, default.pk).fields == (column,)


def test_policy_versions_written_through_the_services_audit_clean_and_each_edit_is_named(programme):
    _audited_clean()
    published, draft = programme["published"], programme["draft"]
    PolicyVersion.objects.filter(pk=published.pk).update(regular_rate="0.9")
    PolicyVersion.objects.filter(pk=draft.pk).update(change_note="改过")
    copy = _copy(PolicyVersion.objects.get(pk=draft.pk), version_id="huairou-2099-01")
    report = db_audit()
    assert _only(report, POLICY, EDITED, published.pk).fields == ("regular_rate",)
    assert _only(report, POLICY, EDITED, draft.pk).fields == ("change_note",)
    _only(report, POLICY, INSERTED, copy.pk)


def test_a_deleted_policy_version_is_named(programme):
    _delete(PolicyVersion, programme["draft"].pk)
    _only(db_audit(), POLICY, DELETED, programme["draft"].pk)


def test_a_deleted_seeded_holiday_is_caught():
    holiday = CalendarSpecialDay.objects.get(day_on=date(2026, 10, 1), year_version__kind=CalendarKind.OFFICIAL)
    _delete(CalendarSpecialDay, holiday.pk)
    _only(db_audit(), DAY, DELETED, holiday.pk)


def test_calendar_years_and_days_edited_deleted_or_inserted_are_named(programme):
    _audited_clean()
    year = programme["year"]
    days = list(CalendarSpecialDay.objects.filter(year_version=year).order_by("day_on"))
    CalendarYearVersion.objects.filter(pk=year.pk).update(source="https://example.test/forged")
    CalendarSpecialDay.objects.filter(pk=days[0].pk).update(kind="workday")
    _delete(CalendarSpecialDay, days[1].pk)
    inserted_day = _copy(CalendarSpecialDay.objects.get(pk=days[2].pk), day_on=date(2027, 1, 4))
    inserted_year = _copy(CalendarYearVersion.objects.get(pk=year.pk), version=year.version + 1)
    report = db_audit()
    assert _only(report, YEAR, EDITED, year.pk).fields == ("source",)
    assert _only(report, DAY, EDITED, days[0].pk).fields == ("kind",)
    _only(report, DAY, DELETED, days[1].pk)
    _only(report, DAY, INSERTED, inserted_day.pk)
    _only(report, YEAR, INSERTED, inserted_year.pk)


def test_a_deleted_calendar_year_is_named(programme):
    year = programme["year"]
    day_ids = list(CalendarSpecialDay.objects.filter(year_version=year).values_list("pk", flat=True))
    for day_id in day_ids:
        _delete(CalendarSpecialDay, day_id)
    _delete(CalendarYearVersion, year.pk)
    report = db_audit()
    _only(report, YEAR, DELETED, year.pk)
    for day_id in day_ids:
        _only(report, DAY, DELETED, day_id)


def test_calendar_reminders_edited_deleted_or_inserted_are_named(programme):
    _audited_clean()
    reminder = programme["reminder"]
    CalendarReminder.objects.filter(pk=reminder.pk).update(recipients=99)
    inserted = _copy(CalendarReminder.objects.get(pk=reminder.pk), sent_on=date(2026, 11, 3))
    report = db_audit()
    assert _only(report, REMINDER, EDITED, reminder.pk).fields == ("recipients",)
    _only(report, REMINDER, INSERTED, inserted.pk)
    _delete(CalendarReminder, reminder.pk)
    _only(db_audit(), REMINDER, DELETED, reminder.pk)


def test_the_entries_carry_the_row_ids_and_are_declared(admin, programme):
    start = log_size()
    draft = services.policy_version_create_draft(version_id="huairou-2027-03", title="x", actor=admin,
                                                 now=timezone.now())
    [(entry_type, event)] = log_entries_from(start)
    assert entry_type == DRAFT_CREATED.name and event["version"] == draft.pk and event["v"] == DRAFT_CREATED.version
    year_entries = [event for entry_type, event in log_entries_from(0) if entry_type == YEAR_PUBLISHED.name]
    last = year_entries[-1]
    assert last["year_version"] == programme["year"].pk
    assert last["special_day_ids"] == list(CalendarSpecialDay.objects.filter(year_version=programme["year"])
                                           .order_by("day_on").values_list("pk", flat=True))
    reminders = [event for entry_type, event in log_entries_from(0) if entry_type == REMINDER_SENT.name]
    assert reminders[-1]["reminder"] == programme["reminder"].pk
    assert programme["published"].status == PolicyStatus.PUBLISHED
