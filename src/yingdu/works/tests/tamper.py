"""Tampering behind the services' back, for the tables' audit tests: each change is made in a savepoint, the database
audit is run, and the savepoint is rolled back; the audit must name the table, the row and (for an edit) the field."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import JSONField

from yingdu.audits.dbaudit import db_audit
from yingdu.audits.projections import DELETED, EDITED, INSERTED
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, PNG_BYTES
from yingdu.works import services
from yingdu.works.models import Work

# an offset that moves an integer or a foreign key to a value no row has
FAR = 7919
NUMBER = "（京）网剧审字（2026）第018号"
FACTS = services.WorkFacts(episode_count=80, episode_min_seconds=60, episode_max_seconds=150, aspect_ratio="9:16",
                           ai_techniques=["script_generation", "video_generation"],
                           overseas_titles=["Lost in the Stars"])


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("截图.png", PNG_BYTES, content_type="image/png")


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def work_with_records(enterprise, *, now, tag: str = "tamper-work") -> Work:
    """A work with its facts corrected once, a release corrected once and an overseas distribution corrected once."""
    member = verified(enterprise.registered_by)
    work = services.work_declare(enterprise=enterprise, actor=member, title="星河迷途", form="micro_drama",
                                 project_tag=tag, production_start_on=date(2026, 1, 1),
                                 production_end_on=date(2026, 12, 31), now=now, facts=FACTS)
    services.work_details_record(work=work, actor=member, title="星河迷途（修订）", form="micro_drama", facts=FACTS,
                                 now=now, reason="集数更正")
    release = services.work_release_record(work=work, actor=member, platform="hongguo",
                                           url="https://hongguo.example.cn/drama/1", went_live_on=date(2026, 4, 20),
                                           licence_number=NUMBER, screenshot=png(), now=now)
    services.work_release_record(work=work, actor=member, platform="other", platform_name="某平台",
                                 url="https://example.cn/drama/1", went_live_on=date(2026, 4, 21),
                                 licence_number=NUMBER, screenshot=png(), now=now, supersedes_id=release.pk,
                                 reason="上线日期更正")
    distribution = services.work_distribution_record(
        work=work, actor=member, territory="东南亚", platform="reelshort", listed_title="Lost in the Stars",
        went_live_on=date(2026, 5, 1), agreement=pdf("协议.pdf"), listing_evidence=pdf("证明.pdf"), now=now)
    services.work_distribution_record(
        work=work, actor=member, territory="北美", platform="reelshort", listed_title="Lost in the Stars",
        url="https://reelshort.example.com/lost", went_live_on=date(2026, 5, 2), agreement=pdf("协议2.pdf"),
        listing_evidence=pdf("证明2.pdf"), now=now, supersedes_id=distribution.pk, reason="地区更正")
    return work


def changed(field, value):
    """A different value of the same type, as someone with database access would write it."""
    if isinstance(field, JSONField):
        return ["tampered"] if value != ["tampered"] else {"tampered": True}
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return not value
    if field.is_relation or internal.endswith("IntegerField") or internal == "AutoField":
        return (value or 0) + FAR
    if internal == "DateTimeField":
        return value + timedelta(seconds=7) if value else Work.objects.first().declared_at
    if internal == "DateField":
        return value + timedelta(days=1) if value else date(2026, 6, 1)
    return value[:-1] + ("x" if value[-1:] != "x" else "y") if value else "x"


def audit_after(change) -> list:
    """The audit's mismatches after ``change()``, which is rolled back afterwards."""
    with transaction.atomic():
        change()
        report = db_audit()
        transaction.set_rollback(True)
    return report.mismatches


def _names(fields) -> set[str]:
    return {name.removesuffix("_id") for name in fields}


def _named(mismatches, model, kind, row, field_name: str | None = None) -> bool:
    return any(m.table == model._meta.db_table and m.kind == kind and m.row == row
               and (field_name is None or field_name.removesuffix("_id") in _names(m.fields))
               for m in mismatches)


def audited_columns(model) -> list:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def unnamed_edits(model) -> list[tuple]:
    """Edit every column of the table (in a row where it is set, if any), one at a time: the edits the audit missed."""
    missed = []
    for field in audited_columns(model):
        rows = model._base_manager.order_by("pk")
        row = rows.exclude(**{f"{field.attname}__isnull": True}).first() or rows.first()
        value = getattr(row, field.attname)

        def edit(row=row, field=field, value=value):
            model._base_manager.filter(pk=row.pk).update(**{field.attname: changed(field, value)})

        mismatches = audit_after(edit)
        if not _named(mismatches, model, EDITED, row.pk, field.attname):
            missed.append((field.attname, row.pk, [m.format() for m in mismatches]))
    return missed


def delete_is_named(model) -> bool:
    """The last row deleted with SQL (the ORM's PROTECT rules are the application's, not the database's)."""
    row_id = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()

    def delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} WHERE id = %s", [row_id])

    return _named(audit_after(delete), model, DELETED, row_id)


def insert_is_named(model, **overrides) -> bool:
    """A copy of the last row under a new id (``overrides`` satisfy the table's unique constraints)."""
    names = [field.attname for field in audited_columns(model)]
    values = model._base_manager.order_by("-pk").values(*names).first()
    new_id = model._base_manager.order_by("-pk").values_list("pk", flat=True).first() + FAR
    values.update(overrides)
    return _named(audit_after(lambda: model._base_manager.create(pk=new_id, **values)), model, INSERTED, new_id)


def assert_tampering_is_named(model, **insert_overrides) -> None:
    """Every column edit, a delete and an insert of a row of the table are each named by the audit."""
    assert db_audit().ok, db_audit().summary()
    assert unnamed_edits(model) == []
    assert delete_is_named(model)
    assert insert_is_named(model, **insert_overrides)
    assert db_audit().ok
