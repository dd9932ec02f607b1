"""The public 公示 page: the proposed awards in their period and how objections were decided, without the
objector's contact or text, at 1280 and 390 px; a reviewer decides an objection after the confirmation step."""

import pytest
import time_machine
from playwright.sync_api import expect

from yingdu.accounts.models import Role
from yingdu.publicity.models import ObjectionDecision, PublicityObjection
from yingdu.publicity.services import publicity_objection_decide, publicity_objection_submit
from yingdu.publicity.tests.support import beijing, proposed_row, publicity_policy
from yingdu.testing.clients import verified
from yingdu.testing.factories import make_enterprise, make_staff, make_work

from .conftest import assert_fits_width, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DURING = beijing(2026, 10, 9, 10)
CONTACT = "13900139000"


def seed():
    """Two awards proposed on 30 September 2026 (5 working days of 公示, until 13 October): one objection to the
    first, upheld; one to the second, still open."""
    version = publicity_policy(working_days=5, excluded_from_sla=True)
    enterprise = make_enterprise(name="北京怀柔星河AI影视有限公司", verified_by=verified(make_staff(Role.REVIEWER)))
    first = proposed_row(make_work(enterprise, title="星河迷途"), amount_fen=1_950_000,
                         proposed_at=beijing(2026, 9, 30, 15), policy_version=version)
    second = proposed_row(make_work(enterprise, title="长河落日"), amount_fen=860_000,
                          proposed_at=beijing(2026, 9, 30, 16), policy_version=version)
    objections = [publicity_objection_submit(application_id=award.pk, contact=CONTACT,
                                             content="该作品并非在怀柔区制作，请核实制作地点。", client=f"198.51.100.{n}",
                                             today=DURING.date(), now=DURING)
                  for n, award in enumerate((first, second))]
    reviewer = verified(make_staff(Role.REVIEWER))
    publicity_objection_decide(objection=objections[0], decision=ObjectionDecision.UPHELD, reason="制作地点不符",
                               actor=reviewer, now=beijing(2026, 10, 9, 11))
    return first, second, objections


@pytest.mark.parametrize("width", [1280, 390])
def test_the_publicity_list_and_a_decided_objection(live_server, page, screenshot, width):
    with time_machine.travel(DURING, tick=True):
        first, second, objections = seed()
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/publicity/")
        expect(page.get_by_role("heading", name="获批项目公示", level=1)).to_be_visible()
        awards = page.get_by_test_id("publicity-awards")
        expect(awards.get_by_test_id(f"award-{second.pk}")).to_contain_text("长河落日")
        expect(awards.get_by_test_id(f"award-{second.pk}")).to_contain_text("8,600.00")
        expect(awards.get_by_test_id(f"award-{first.pk}")).to_have_count(0)  # withdrawn by the upheld objection
        outcomes = page.get_by_test_id("publicity-outcomes")
        expect(outcomes.get_by_test_id(f"outcome-{objections[0].pk}")).to_contain_text("异议成立")
        expect(outcomes.get_by_test_id(f"outcome-{objections[1].pk}")).to_contain_text("处理中")
        body = page.content()
        assert CONTACT not in body and "怀柔区制作" not in body and "制作地点不符" not in body
        assert_fits_width(page)
        screenshot(page, f"publicity-{width}")


def test_a_reviewer_decides_an_objection_after_confirming(live_server, page, screenshot):
    with time_machine.travel(DURING, tick=True):
        _first, _second, objections = seed()
        decider = make_staff(Role.REVIEWER, username="publicity_e2e_decider")
        log_in(page, live_server.url, decider.username, device=decider.totpdevice_set.get())
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/publicity/objections/{objections[1].pk}/")
        page.get_by_label("异议不成立（维持拟支持）").check()
        page.get_by_label("处理理由").fill("经核实，作品在怀柔区制作")
        page.get_by_role("button", name="处理", exact=True).click()
        expect(page.get_by_text("维持拟支持：公示期满且无其他待处理异议时")).to_be_visible()
        assert not PublicityObjection.objects.get(pk=objections[1].pk).decision
        screenshot(page, "publicity-decide-confirm-1280")
        page.get_by_role("button", name="确认处理").click()
        expect(page.get_by_test_id(f"objection-{objections[1].pk}")).to_contain_text("异议不成立")
        assert PublicityObjection.objects.get(pk=objections[1].pk).decision == ObjectionDecision.DISMISSED
