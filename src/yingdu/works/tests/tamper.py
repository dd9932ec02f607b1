"""Works with every kind of record, for the works and applications tamper tests (yingdu.testing.tamper)."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

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
