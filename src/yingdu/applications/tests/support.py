"""Builders for the applications tests: eligible works, drafts, and a staff trio."""

import itertools
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.applications import services
from yingdu.metering.ingest import usage_batch_ingest
from yingdu.push import signed_batch
from yingdu.testing.clients import verified
from yingdu.testing.factories import PDF_BYTES, PNG_BYTES, make_staff, usage_record
from yingdu.works.services import WorkFacts, work_declare, work_release_record

_counter = itertools.count(1)

MICRO_FACTS = WorkFacts(episode_count=80, episode_min_seconds=60, episode_max_seconds=150, aspect_ratio="9:16",
                        ai_techniques=["script_generation", "video_generation"], overseas_titles=["Lost in the Stars"])


def png(name: str = "截图.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def pdf(name: str = "文件.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def declare(enterprise, *, title: str = "星河迷途", facts: WorkFacts | None = MICRO_FACTS, now=None):
    return work_declare(enterprise=enterprise, actor=verified(enterprise.registered_by), title=title,
                        form="micro_drama", project_tag=f"work-{next(_counter)}",
                        production_start_on=date(2026, 1, 1), production_end_on=date(2026, 12, 31),
                        now=now or timezone.now(), facts=facts)


def meter_usage(meter, works, *, quantity: str = "1000") -> None:
    """One accepted usage record per work (quantity card-hours at the provider's price), in one signed batch."""
    records = [usage_record(w.enterprise.uscc, w.project_tag, quantity=quantity,
                            started_at="2026-03-20T09:00:00+08:00", ended_at="2026-03-20T11:00:00+08:00")
               for w in works]
    body = signed_batch(records, meter.private_key)
    usage_batch_ingest(provider=meter.provider, key_id=meter.signing_key.key_id, records=body["records"],
                       batch_signature=body["batch_signature"], now=timezone.now())


def release(work, *, number: str = "（京）网剧审字（2026）第018号", now=None):
    return work_release_record(work=work, actor=verified(work.enterprise.registered_by), platform="hongguo",
                               url="https://hongguo.example.cn/drama/1", went_live_on=date(2026, 4, 20),
                               licence_number=number, screenshot=png(), now=now or timezone.now())


def draft(work, *, overseas: bool = False, now=None, commitment: bool = True):
    """A draft for the work with the applicant's own material (the authenticity commitment) uploaded."""
    member = verified(work.enterprise.registered_by)
    application = services.application_create(work=work, actor=member, now=now or timezone.now(),
                                              overseas_claimed=overseas)
    if commitment:
        services.application_material_upload(application=application, code="authenticity_commitment",
                                             upload=pdf("承诺书.pdf"), actor=member, now=now or timezone.now())
    return application


def eligible_works(enterprise, meter, count: int):
    works = [declare(enterprise, title=f"作品{next(_counter)}") for _ in range(count)]
    meter_usage(meter, works)
    for work in works:
        release(work)
    return works


def staff():
    return (verified(make_staff(Role.REVIEWER)), verified(make_staff(Role.APPROVER)))


def member_of(enterprise):
    """The enterprise's registering member as a service actor."""
    from yingdu.testing.clients import verified

    return verified(enterprise.registered_by)


def under_review(application, reviewer, *, now=None):
    """Submit, accept and start the review of a draft (the review issues the work's data notice), at ``now`` or
    else at the moment the draft was made."""
    now = now or application.created_at
    member = verified(application.enterprise.registered_by)
    application = services.application_submit(application=application, actor=member, now=now)
    application = services.application_accept(application=application, actor=reviewer, now=now)
    return services.application_start_review(application=application, actor=reviewer, now=now)
