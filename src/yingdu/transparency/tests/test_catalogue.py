"""The event catalogue: every type declared once, projected or saying why not; the schema document is current."""

from pathlib import Path

import pytest

from yingdu.audits.projections import all_projections
from yingdu.transparency.catalogue import CATALOGUE, CatalogueError, Field, Kind, declare
from yingdu.transparency.schema import log_schema_markdown

SCHEMA_DOCUMENT = Path(__file__).resolve().parents[4] / "docs" / "log-schema.md"


@pytest.mark.django_db
def test_every_declared_type_is_projected_or_says_why_not():
    names = {projection.name for projection in all_projections() if projection.name}
    unhandled = [declared.name for declared in CATALOGUE
                 if not declared.rows and declared.projection not in names and not declared.not_projected]
    assert not unhandled
    both = [declared.name for declared in CATALOGUE if declared.not_projected and (declared.rows or
                                                                                   declared.projection)]
    assert not both, "a type that writes rows does not also say it writes none"


def test_every_type_has_a_namespaced_name_a_time_and_a_description():
    assert len(CATALOGUE) > 50
    for declared in CATALOGUE:
        assert declared.doc.strip(), declared.name
        assert declared.fields["at"].kind is Kind.TIME, declared.name
        assert all(spec.since <= declared.version for spec in declared.fields.values()), declared.name
        assert all(spec.until is None or spec.since <= spec.until < declared.version
                   for spec in declared.fields.values()), declared.name


def test_a_type_cannot_be_declared_twice():
    with pytest.raises(CatalogueError):
        declare("testing.entry", doc="again", fields={"at": Field(Kind.TIME)})


def test_the_schema_document_is_generated_from_the_catalogue():
    assert SCHEMA_DOCUMENT.read_text(encoding="utf-8") == log_schema_markdown(), \
        "docs/log-schema.md is stale: run `.venv/bin/yingdu log_schema --output docs/log-schema.md`"


def test_entries_written_under_an_earlier_version_stay_valid_and_cannot_mix_versions():
    # objections.filed and objections.upheld as version 1 wrote them (before the salted commitments)
    filed_v1 = {"type": "objections.filed", "v": 1, "at": "2026-11-20T02:00:00.000000Z", "objection": 3, "notice": 7,
                "explanation_sha256": "ab" * 32, "evidence": [{"sha256": "cd" * 32, "content_type": "application/pdf",
                                                             "size": 1234}],
                "claims": [{"record": 11, "record_log_index": 40, "claimed_quantity": "1.5"}],
                "objection_deadline_on": "2026-11-27", "objection_deadline_provisional": False, "actor": 5}
    upheld_v1 = {"type": "objections.upheld", "v": 1, "at": "2026-11-21T02:00:00.000000Z", "objection": 3,
                 "notice": 7, "reason_sha256": "ef" * 32, "actor": 6,
                 "corrections": [{"record": 90, "corrects": 11, "log_index": 77, "quantity": "-8.5",
                                  "cost_microfen": -68000000}]}
    assert CATALOGUE.validate(filed_v1).version == 2
    assert CATALOGUE.validate(upheld_v1).version == 4
    # objections.upheld as version 2 wrote it (before the decided claims of version 3)
    upheld_v2 = {"type": "objections.upheld", "v": 2, "at": "2026-11-21T02:00:00.000000Z", "objection": 3,
                 "notice": 7, "actor": 6, "enterprise": 2, "reason_commitment": "ef" * 32}
    assert CATALOGUE.validate(upheld_v2).name == "objections.upheld"
    with pytest.raises(CatalogueError):
        CATALOGUE.validate({**upheld_v2, "claims": []})
    # the system as an actor was written "operator" (or null) before yingdu.actors.SYSTEM; new entries cannot
    granted_v1 = {"type": "accounts.role_granted", "v": 1, "at": "2026-11-20T02:00:00.000000Z", "user": 4,
                  "role": "reviewer", "actor": "operator"}
    assert CATALOGUE.validate(granted_v1).name == "accounts.role_granted"
    assert CATALOGUE["accounts.role_granted"].decode(granted_v1)["actor"] is None
    with pytest.raises(CatalogueError):
        CATALOGUE.validate({**granted_v1, "v": 2, "grant": 9}, writing=True)
    # a version 1 entry with a field of version 2, or without one of its own, is refused
    with pytest.raises(CatalogueError):
        CATALOGUE.validate({**filed_v1, "explanation_commitment": "ab" * 32})
    with pytest.raises(CatalogueError):
        CATALOGUE.validate({key: value for key, value in upheld_v1.items() if key != "reason_sha256"})
    with pytest.raises(CatalogueError):
        CATALOGUE.validate({**filed_v1, "claims": [{**filed_v1["claims"][0], "claim": 1}]})


def test_a_builder_makes_the_entries_build_makes_and_refuses_what_build_refuses():
    from yingdu.metering.events import USAGE_ACCEPTED

    shared = {"at": "2026-11-20T02:00:00.000000Z", "provider": 1, "signing_key": "ab12", "batch_root": "cd" * 32,
              "batch_size": 2}
    own = {"record": "{}", "record_sha256": "ef" * 32, "enterprise": 3, "work": None, "quarantine": None,
           "corrects": None, "sku_price_fen": 500, "cost_microfen": 1250000000, "signature": "aa" * 64,
           "batch_index": 1, "batch_path_sha256": "bb" * 32}
    build = USAGE_ACCEPTED.builder(**shared)
    entry = build(**own)
    assert entry == USAGE_ACCEPTED.build(**shared, **own)
    assert CATALOGUE.validate(entry, writing=True) is USAGE_ACCEPTED
    for bad in ({"cost_microfen": 1.5}, {"enterprise": "3"}, {"sku_price_fen": None}, {"record_sha256": "x"}):
        with pytest.raises(CatalogueError):
            USAGE_ACCEPTED.build(**shared, **{**own, **bad})
        with pytest.raises(CatalogueError):
            build(**{**own, **bad})
    with pytest.raises(CatalogueError):
        build(**{key: value for key, value in own.items() if key != "work"})  # a field missing
    with pytest.raises(CatalogueError):
        build(**own, colour="red")  # an undeclared field
    for bad in ({"provider": None}, {"batch_root": "not hex"}, {"at": "yesterday"}):
        with pytest.raises(CatalogueError):
            USAGE_ACCEPTED.builder(**{**shared, **bad})
