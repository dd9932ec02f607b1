"""Log entries of works."""

from yingdu.transparency.services import event_time

from .models import OverseasDistribution, Work, WorkDetails, WorkRelease


def work_declared_event(work: Work) -> dict:
    return {
        "type": "works.declare",
        "at": event_time(work.declared_at),
        "work": work.pk,
        "enterprise": work.enterprise_id,
        "title": work.title,
        "form": work.form,
        "project_tag": work.project_tag,
        "production_start_on": work.production_start_on.isoformat(),
        "production_end_on": work.production_end_on.isoformat(),
        "declared_by": work.declared_by_id,
    }


def work_details_event(details: WorkDetails) -> dict:
    """works.details_record: one revision of the declared facts (revision 1 at declaration, then corrections)."""
    return {
        "type": "works.details_record",
        "at": event_time(details.recorded_at),
        "work": details.work_id,
        "details": details.pk,
        "revision": details.revision,
        "title": details.title,
        "overseas_titles": list(details.overseas_titles),
        "form": details.form,
        "episode_count": details.episode_count,
        "episode_min_seconds": details.episode_min_seconds,
        "episode_max_seconds": details.episode_max_seconds,
        "aspect_ratio": details.aspect_ratio,
        "ai_techniques": list(details.ai_techniques),
        "recorded_by": details.recorded_by_id,
    }


def work_release_event(release: WorkRelease) -> dict:
    """works.release_record: a release (a correction names the row it supersedes)."""
    return {
        "type": "works.release_record",
        "at": event_time(release.recorded_at),
        "work": release.work_id,
        "release": release.pk,
        "supersedes": release.supersedes_id,
        "platform": release.platform,
        "platform_name": release.platform_name,
        "url": release.url,
        "went_live_on": release.went_live_on.isoformat(),
        "licence_kind": release.licence_kind,
        "licence_number": release.licence_number,
        "screenshot_sha256": release.screenshot_sha256,
        "recorded_by": release.recorded_by_id,
    }


def work_distribution_event(distribution: OverseasDistribution) -> dict:
    """works.distribution_record: an overseas distribution with the digests of its evidence."""
    return {
        "type": "works.distribution_record",
        "at": event_time(distribution.recorded_at),
        "work": distribution.work_id,
        "distribution": distribution.pk,
        "supersedes": distribution.supersedes_id,
        "territory": distribution.territory,
        "platform": distribution.platform,
        "platform_name": distribution.platform_name,
        "listed_title": distribution.listed_title,
        "url": distribution.url,
        "went_live_on": distribution.went_live_on.isoformat(),
        "agreement_sha256": distribution.agreement_sha256,
        "listing_sha256": distribution.listing_sha256,
        "recorded_by": distribution.recorded_by_id,
    }
