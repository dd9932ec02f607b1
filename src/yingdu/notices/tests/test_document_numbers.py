"""A data notice and an objection decision carry their numbers (文号); the decision states the remedies."""

import json

import pytest

from yingdu.documents.models import IssuedDocument
from yingdu.policy.terms import decision_remedies
from yingdu.testing.clients import client_for
from yingdu.transparency.models import LogEntry

from .test_partial_uphold import issue, object_to

pytestmark = pytest.mark.django_db


def test_an_objection_decision_is_numbered_in_its_entry_and_shows_the_remedies(world):
    from yingdu.notices import services

    from .conftest import at
    notice = issue(world)
    objection = object_to(world, notice, [(world.records[1], "1")])
    services.objection_decide(objection=objection, decision="reject", reason="服务商作业日志显示用量属实。",
                              actor=world.reviewer, now=at("2026-10-12 10:00"))
    [entry] = [json.loads(bytes(e)) for e in LogEntry.objects.filter(event_type="objections.rejected")
               .values_list("entry", flat=True)]
    assert entry["document_number"] == "怀文促异〔2026〕1号" == IssuedDocument.objects.get(
        kind="objection_decision", subject_id=objection.pk).number
    [issued] = [json.loads(bytes(e)) for e in LogEntry.objects.filter(event_type="notices.issued")
                .values_list("entry", flat=True)]
    assert issued["document_number"] == "怀文促数告〔2026〕1号"
    page = client_for(world.member).get(f"/metering/notices/{notice.pk}/").content.decode()
    assert "怀文促异〔2026〕1号" in page and decision_remedies(None)["review"] in page
