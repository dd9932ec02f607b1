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


def test_a_type_cannot_be_declared_twice():
    with pytest.raises(CatalogueError):
        declare("testing.entry", doc="again", fields={"at": Field(Kind.TIME)})


def test_the_schema_document_is_generated_from_the_catalogue():
    assert SCHEMA_DOCUMENT.read_text(encoding="utf-8") == log_schema_markdown(), \
        "docs/log-schema.md is stale: run `.venv/bin/yingdu log_schema --output docs/log-schema.md`"
