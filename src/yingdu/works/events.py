"""Log entries of works: the declaration, each revision of its facts, each release and overseas distribution.

Every row of the works tables is recomputed from these entries. Free text typed by the enterprise (a correction's
reason) and uploaded file names appear only as a salted commitment (the enterprise's salt); the evidence files
themselves by their SHA-256.
"""

from yingdu.actors import actor_ref
from yingdu.enterprises.models import Enterprise
from yingdu.transparency.catalogue import Committed, Field, Kind, Row, declare
from yingdu.transparency.services import commitment, event_time

from .models import OverseasDistribution, Work, WorkDetails, WorkRelease

# The free text of each record, by its key in the committed object.
DETAILS_COMMITTED = {"reason": "reason"}
RELEASE_COMMITTED = {"reason": "reason", "screenshot_filename": "screenshot_filename"}
DISTRIBUTION_COMMITTED = {"reason": "reason", "agreement_filename": "agreement_filename",
                          "listing_filename": "listing_filename"}


def _committed(digest: str, columns: dict[str, str]) -> Committed:
    return Committed(digest, columns, salt_model=Enterprise, salt_key="enterprise")


WORK_DECLARED = declare(
    "works.declare",
    doc="An enterprise declared a work under a metering project tag.",
    fields={
        "at": Field(Kind.TIME, "when it was declared"),
        "work": Field(Kind.INT, "work id"),
        "enterprise": Field(Kind.INT, "enterprise id"),
        "title": Field(Kind.STR, "the work's title"),
        "form": Field(Kind.STR, "micro_drama|short_drama"),
        "project_tag": Field(Kind.STR, "the metering project tag its compute is reported under"),
        "production_start_on": Field(Kind.DATE, "first day of production"),
        "production_end_on": Field(Kind.DATE, "last day of production"),
        "declared_by": Field(Kind.ACTOR, "the member who declared it"),
    },
    rows=[Row(Work, key="work", columns={
        "enterprise_id": "enterprise", "title": "title", "form": "form", "project_tag": "project_tag",
        "production_start_on": "production_start_on", "production_end_on": "production_end_on",
        "declared_by_id": "declared_by", "declared_at": "at",
    })],
)

WORK_DETAILS_RECORDED = declare(
    "works.details_record", version=2,
    doc="A revision of a work's declared facts (revision 1 at declaration, then corrections); the highest is current.",
    fields={
        "at": Field(Kind.TIME, "when it was recorded"),
        "work": Field(Kind.INT, "work id"),
        "details": Field(Kind.INT, "work details (revision) id"),
        "revision": Field(Kind.INT, "1, 2, … per work"),
        "title": Field(Kind.STR, "the work's title in this revision"),
        "overseas_titles": Field(Kind.STRS, "titles used abroad"),
        "form": Field(Kind.STR, "micro_drama|short_drama"),
        "episode_count": Field(Kind.INT),
        "episode_min_seconds": Field(Kind.INT, "shortest episode, seconds"),
        "episode_max_seconds": Field(Kind.INT, "longest episode, seconds"),
        "aspect_ratio": Field(Kind.STR, "9:16|16:9|1:1|other"),
        "ai_techniques": Field(Kind.STRS, "codes of the AI techniques used"),
        "recorded_by": Field(Kind.ACTOR, "the member who recorded it"),
        "enterprise": Field(Kind.INT, "the work's enterprise (whose salt the commitment uses)", since=2),
        "reason_commitment": Field(Kind.DIGEST, "commitment to the correction's reason", since=2),
    },
    rows=[Row(WorkDetails, key="details", columns={
        "work_id": "work", "revision": "revision", "title": "title", "overseas_titles": "overseas_titles",
        "form": "form", "episode_count": "episode_count", "episode_min_seconds": "episode_min_seconds",
        "episode_max_seconds": "episode_max_seconds", "aspect_ratio": "aspect_ratio", "ai_techniques": "ai_techniques",
        "recorded_by_id": "recorded_by", "recorded_at": "at",
        "text": _committed("reason_commitment", DETAILS_COMMITTED),
    })],
)

WORK_RELEASE_RECORDED = declare(
    "works.release_record", version=2,
    doc="A release of a work on a platform with its NRTA number and screenshot; a correction supersedes an earlier "
        "record, which is kept.",
    fields={
        "at": Field(Kind.TIME, "when it was recorded"),
        "work": Field(Kind.INT, "work id"),
        "release": Field(Kind.INT, "release id"),
        "supersedes": Field(Kind.INT, "the release this one corrects", null=True),
        "platform": Field(Kind.STR, "platform code"),
        "platform_name": Field(Kind.STR, "the platform's name when the code is 'other', else empty"),
        "url": Field(Kind.STR, "link to the work on the platform"),
        "went_live_on": Field(Kind.DATE, "go-live date"),
        "licence_kind": Field(Kind.STR, "permit|filing"),
        "licence_number": Field(Kind.STR, "NRTA distribution permit or filing number"),
        "screenshot_sha256": Field(Kind.DIGEST, "SHA-256 of the screenshot"),
        "recorded_by": Field(Kind.ACTOR, "the member who recorded it"),
        "enterprise": Field(Kind.INT, "the work's enterprise (whose salt the commitment uses)", since=2),
        "screenshot_content_type": Field(Kind.STR, "media type of the screenshot", since=2),
        "screenshot_size": Field(Kind.INT, "size of the screenshot in bytes", since=2),
        "text_commitment": Field(Kind.DIGEST, "commitment to the correction's reason and the screenshot's file name",
                                 since=2),
    },
    rows=[Row(WorkRelease, key="release", columns={
        "work_id": "work", "supersedes_id": "supersedes", "platform": "platform", "platform_name": "platform_name",
        "url": "url", "went_live_on": "went_live_on", "licence_kind": "licence_kind",
        "licence_number": "licence_number", "screenshot_sha256": "screenshot_sha256",
        "screenshot_content_type": "screenshot_content_type", "screenshot_size": "screenshot_size",
        "recorded_by_id": "recorded_by", "recorded_at": "at",
        "text": _committed("text_commitment", RELEASE_COMMITTED),
    })],
)

WORK_DISTRIBUTION_RECORDED = declare(
    "works.distribution_record", version=2,
    doc="A distribution of a work abroad with the digests of its agreement and listing evidence; a correction "
        "supersedes an earlier record, which is kept.",
    fields={
        "at": Field(Kind.TIME, "when it was recorded"),
        "work": Field(Kind.INT, "work id"),
        "distribution": Field(Kind.INT, "overseas distribution id"),
        "supersedes": Field(Kind.INT, "the distribution this one corrects", null=True),
        "territory": Field(Kind.STR, "where it is distributed"),
        "platform": Field(Kind.STR, "platform code"),
        "platform_name": Field(Kind.STR, "the platform's name when the code is 'other', else empty"),
        "listed_title": Field(Kind.STR, "the title used there"),
        "url": Field(Kind.STR, "link to the listing, or empty"),
        "went_live_on": Field(Kind.DATE, "go-live date abroad"),
        "agreement_sha256": Field(Kind.DIGEST, "SHA-256 of the distribution agreement"),
        "listing_sha256": Field(Kind.DIGEST, "SHA-256 of the listing evidence"),
        "recorded_by": Field(Kind.ACTOR, "the member who recorded it"),
        "enterprise": Field(Kind.INT, "the work's enterprise (whose salt the commitment uses)", since=2),
        "agreement_content_type": Field(Kind.STR, "media type of the agreement", since=2),
        "agreement_size": Field(Kind.INT, "size of the agreement in bytes", since=2),
        "listing_content_type": Field(Kind.STR, "media type of the listing evidence", since=2),
        "listing_size": Field(Kind.INT, "size of the listing evidence in bytes", since=2),
        "text_commitment": Field(Kind.DIGEST, "commitment to the correction's reason and the two file names",
                                 since=2),
    },
    rows=[Row(OverseasDistribution, key="distribution", columns={
        "work_id": "work", "supersedes_id": "supersedes", "territory": "territory", "platform": "platform",
        "platform_name": "platform_name", "listed_title": "listed_title", "url": "url",
        "went_live_on": "went_live_on", "agreement_sha256": "agreement_sha256",
        "agreement_content_type": "agreement_content_type", "agreement_size": "agreement_size",
        "listing_sha256": "listing_sha256", "listing_content_type": "listing_content_type",
        "listing_size": "listing_size", "recorded_by_id": "recorded_by", "recorded_at": "at",
        "text": _committed("text_commitment", DISTRIBUTION_COMMITTED),
    })],
)


def _text_commitment(record, enterprise: Enterprise, columns: dict[str, str]) -> str:
    return commitment(salt=enterprise.commitment_salt,
                      values={key: getattr(record, column) for key, column in columns.items()})


def work_declared_event(work: Work) -> dict:
    return WORK_DECLARED.build(
        at=event_time(work.declared_at), work=work.pk, enterprise=work.enterprise_id, title=work.title,
        form=str(work.form), project_tag=work.project_tag, production_start_on=work.production_start_on.isoformat(),
        production_end_on=work.production_end_on.isoformat(), declared_by=actor_ref(work.declared_by))


def work_details_event(details: WorkDetails) -> dict:
    enterprise = details.work.enterprise
    return WORK_DETAILS_RECORDED.build(
        at=event_time(details.recorded_at), work=details.work_id, details=details.pk, revision=details.revision,
        title=details.title, overseas_titles=list(details.overseas_titles), form=str(details.form),
        episode_count=details.episode_count, episode_min_seconds=details.episode_min_seconds,
        episode_max_seconds=details.episode_max_seconds, aspect_ratio=str(details.aspect_ratio),
        ai_techniques=list(details.ai_techniques), recorded_by=actor_ref(details.recorded_by),
        enterprise=enterprise.pk, reason_commitment=_text_commitment(details, enterprise, DETAILS_COMMITTED))


def work_release_event(release: WorkRelease) -> dict:
    enterprise = release.work.enterprise
    return WORK_RELEASE_RECORDED.build(
        at=event_time(release.recorded_at), work=release.work_id, release=release.pk,
        supersedes=release.supersedes_id, platform=str(release.platform), platform_name=release.platform_name,
        url=release.url, went_live_on=release.went_live_on.isoformat(), licence_kind=str(release.licence_kind),
        licence_number=release.licence_number, screenshot_sha256=release.screenshot_sha256,
        recorded_by=actor_ref(release.recorded_by), enterprise=enterprise.pk,
        screenshot_content_type=release.screenshot_content_type, screenshot_size=release.screenshot_size,
        text_commitment=_text_commitment(release, enterprise, RELEASE_COMMITTED))


def work_distribution_event(distribution: OverseasDistribution) -> dict:
    enterprise = distribution.work.enterprise
    return WORK_DISTRIBUTION_RECORDED.build(
        at=event_time(distribution.recorded_at), work=distribution.work_id, distribution=distribution.pk,
        supersedes=distribution.supersedes_id, territory=distribution.territory, platform=str(distribution.platform),
        platform_name=distribution.platform_name, listed_title=distribution.listed_title, url=distribution.url,
        went_live_on=distribution.went_live_on.isoformat(), agreement_sha256=distribution.agreement_sha256,
        listing_sha256=distribution.listing_sha256, recorded_by=actor_ref(distribution.recorded_by),
        enterprise=enterprise.pk, agreement_content_type=distribution.agreement_content_type,
        agreement_size=distribution.agreement_size, listing_content_type=distribution.listing_content_type,
        listing_size=distribution.listing_size,
        text_commitment=_text_commitment(distribution, enterprise, DISTRIBUTION_COMMITTED))
