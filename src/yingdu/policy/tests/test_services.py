"""Policy versions: the seeded default, drafts, publication, the version in force, immutability, log entries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.policy import selectors, services
from yingdu.policy.models import PolicyStatus, PolicyVersion
from yingdu.policy.terms import TERM_FIELDS, calculator_terms, version_terms
from yingdu.rules.default_policy import HUAIROU_2026_DEFAULT
from yingdu.rules.money import Money
from yingdu.rules.subsidy import PolicyTerms, quote
from yingdu.testing.factories import make_staff, make_user

from .support import log_entries_from, log_size, tomorrow

pytestmark = pytest.mark.django_db


def _default():
    return PolicyVersion.objects.get(version_id=HUAIROU_2026_DEFAULT["version_id"])


def test_the_default_version_is_published_from_the_measures_date_by_the_system():
    version = _default()
    assert version.status == PolicyStatus.PUBLISHED and version.effective_from == date(2026, 4, 1)
    assert version.published_by is None and version.annual_budget_fen is None
    assert version.spot_check_sample_rate == Decimal("0.10") and version.spot_check_minimum == 3
    assert version.eligible_service_categories == ["compute", "model_service", "data_product"]
    assert selectors.policy_version_in_force(on=date(2026, 4, 1)) == version
    assert selectors.policy_version_in_force(on=date(2026, 3, 31)) is None
    # the calculator terms are exactly the measures' data
    expected = PolicyTerms.from_mapping(HUAIROU_2026_DEFAULT)
    assert calculator_terms(version) == expected
    for cost_fen in (0, 1, 5_000_000, 6_666_667, 10_000_000):
        for overseas in (False, True):
            got = selectors.policy_quote(cost=Money(cost_fen), overseas=overseas, on=date(2026, 6, 1))
            assert got == quote(verified_cost=Money(cost_fen), overseas=overseas, policy=expected)


def test_seed_entries_record_every_term_and_the_system_actor():
    from yingdu.transparency.models import LogEntry

    first = LogEntry.objects.filter(event_type="policy.version_published").order_by("index").first()
    [(event_type, event)] = log_entries_from(first.index)[:1]
    assert event_type == "policy.version_published" and event["actor"] == "system"
    assert event["effective_from"] == "2026-04-01" and set(event["terms"]) == set(TERM_FIELDS)
    assert event["terms"]["regular_rate"] == "0.3" and event["terms"]["regular_cap_fen"] == 2_000_000


def test_a_draft_copies_the_version_in_force_and_is_logged(admin):
    start = log_size()
    draft = services.policy_version_create_draft(version_id="huairou-2027-01", title="修订", actor=admin,
                                                 now=timezone.now())
    assert draft.status == PolicyStatus.DRAFT and draft.effective_from is None
    assert version_terms(draft) == version_terms(_default())
    [(event_type, event)] = log_entries_from(start)
    assert event_type == "policy.draft_created" and event["status"] == "draft" and event["actor"] == admin.pk
    assert event["terms"] == version_terms(draft)


def test_editing_a_draft_saves_and_logs_the_whole_version(draft, admin):
    start = log_size()
    updated = services.policy_version_update_draft(
        version=draft, changes={"regular_rate": "0.35", "regular_cap_fen": 2_500_000, "overseas_cap_fen": 3_250_000,
                                "title": "2027 年修订（征求意见）"},
        actor=admin, now=timezone.now())
    assert updated.regular_rate == Decimal("0.35") and updated.title == "2027 年修订（征求意见）"
    [(event_type, event)] = log_entries_from(start)
    assert event_type == "policy.draft_saved"
    assert event["terms"]["regular_rate"] == "0.35" and event["terms"]["regular_cap_fen"] == 2_500_000
    changes = {change.field for change in selectors.policy_version_diff(version=updated, base=_default())}
    assert changes == {"title", "regular_rate", "regular_cap_fen", "overseas_cap_fen"}


def test_publishing_writes_exactly_one_entry_and_takes_effect_on_its_date(draft, admin):
    services.policy_version_update_draft(version=draft, changes={"regular_rate": "0.40"}, actor=admin,
                                         now=timezone.now())
    start = log_size()
    effective_from = tomorrow()
    published = services.policy_version_publish(version=draft, effective_from=effective_from, actor=admin,
                                                now=timezone.now())
    entries = log_entries_from(start)
    assert [event_type for event_type, _event in entries] == ["policy.version_published"]
    event = entries[0][1]
    assert event["version_id"] == "huairou-2027-01" and event["effective_from"] == effective_from.isoformat()
    assert event["status"] == "published" and event["terms"]["regular_rate"] == "0.4"
    assert published.published_by == admin and published.status == PolicyStatus.PUBLISHED
    today = timezone.localdate()
    assert selectors.policy_version_in_force(on=today) == _default()
    assert selectors.policy_version_in_force(on=effective_from) == published
    assert selectors.policy_version_state(published, today=today) == "scheduled"
    on_date = selectors.policy_quote(cost="10000", overseas=False, on=effective_from)
    assert on_date.amount == Money(400_000) and on_date.policy_version == "huairou-2027-01"


@pytest.mark.parametrize("changes", [
    {"regular_rate": "0.5"}, {"title": "新标题"}, {"materials_checklist": [{"code": "x", "label": "y"}]},
])
def test_a_published_version_cannot_be_edited(admin, changes):
    version = _default()
    before = (version_terms(version), version.title, log_size())
    with pytest.raises(Conflict) as refused:
        services.policy_version_update_draft(version=version, changes=changes, actor=admin, now=timezone.now())
    assert refused.value.code == "policy_version_published" and refused.value.status == 409
    version.refresh_from_db()
    assert (version_terms(version), version.title, log_size()) == before


def test_a_published_version_cannot_be_published_again(draft, admin):
    services.policy_version_publish(version=draft, effective_from=tomorrow(), actor=admin, now=timezone.now())
    with pytest.raises(Conflict) as refused:
        services.policy_version_publish(version=draft, effective_from=tomorrow() + timedelta(days=30), actor=admin,
                                        now=timezone.now())
    assert refused.value.code == "policy_version_published"


def test_an_effective_date_before_today_is_refused(draft, admin):
    with pytest.raises(DomainError) as refused:
        services.policy_version_publish(version=draft, effective_from=timezone.localdate() - timedelta(days=1),
                                        actor=admin, now=timezone.now())
    assert refused.value.code == "policy_effective_date_in_past" and refused.value.field == "effective_from"
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT


def test_today_is_judged_in_asia_shanghai(draft, admin):
    # 2026-11-26 23:30 UTC is already 27 November in Beijing, so 26 November is in the past there
    now = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    with pytest.raises(DomainError) as refused:
        services.policy_version_publish(version=draft, effective_from=date(2026, 11, 26), actor=admin, now=now)
    assert refused.value.code == "policy_effective_date_in_past"


def test_an_effective_date_not_after_the_latest_published_one_is_refused(draft, admin):
    later = services.policy_version_create_draft(version_id="huairou-2027-02", title="再修订", actor=admin,
                                                 now=timezone.now())
    services.policy_version_publish(version=draft, effective_from=tomorrow() + timedelta(days=10), actor=admin,
                                    now=timezone.now())
    for effective_from in (tomorrow(), tomorrow() + timedelta(days=10)):
        with pytest.raises(DomainError) as refused:
            services.policy_version_publish(version=later, effective_from=effective_from, actor=admin,
                                            now=timezone.now())
        assert refused.value.code == "policy_effective_date_not_after_latest"


def test_only_an_admin_who_passed_two_factor_may_draft_or_publish(draft, reviewer):
    unverified_admin = make_staff("admin")  # no trusted_actor: this session has not passed two-factor
    member = make_user()
    start = log_size()
    for actor in (reviewer, unverified_admin, member):
        with pytest.raises(Forbidden):
            services.policy_version_create_draft(version_id="x-2027", title="x", actor=actor, now=timezone.now())
        with pytest.raises(Forbidden):
            services.policy_version_update_draft(version=draft, changes={"regular_rate": "0.9"}, actor=actor,
                                                 now=timezone.now())
        with pytest.raises(Forbidden):
            services.policy_version_publish(version=draft, effective_from=tomorrow(), actor=actor,
                                            now=timezone.now())
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT and draft.regular_rate == Decimal("0.3")
    assert log_size() == start


@pytest.mark.parametrize(("changes", "field"), [
    ({"regular_rate": "0.333333"}, "regular_rate"),
    ({"regular_rate": 0.3}, "regular_rate"),
    ({"regular_rate": "abc"}, "regular_rate"),
    ({"regular_rate": "0"}, "regular_rate"),
    ({"overseas_uplift": "1.5"}, "overseas_uplift"),
    ({"overseas_cap_fen": 1_000_000}, "overseas_cap_fen"),
    ({"regular_cap_fen": -1}, "regular_cap_fen"),
    ({"overseas_reading": "C"}, "overseas_reading"),
    ({"annual_work_limit": 0}, "annual_work_limit"),
    ({"sla_working_days": None}, "sla_working_days"),
    ({"eligible_service_categories": ["gpu_rental"]}, "eligible_service_categories"),
    ({"eligible_service_categories": []}, "eligible_service_categories"),
    ({"materials_checklist": [{"code": "A B", "label": "x"}]}, "materials_checklist"),
    ({"materials_checklist": [{"code": "a", "label": "x"}, {"code": "a", "label": "y"}]}, "materials_checklist"),
    ({"spot_check_sample_rate": "0"}, "spot_check_sample_rate"),
    ({"rounding_rule": "ceiling"}, "rounding_rule"),
    ({"title": "  "}, "title"),
])
def test_bad_terms_are_refused_with_their_field_and_nothing_is_written(draft, admin, changes, field):
    before = (version_terms(draft), log_size())
    with pytest.raises(DomainError) as refused:
        services.policy_version_update_draft(version=draft, changes=changes, actor=admin, now=timezone.now())
    assert refused.value.field == field
    draft.refresh_from_db()
    assert (version_terms(draft), log_size()) == before


def test_reading_b_and_an_annual_budget_are_terms_like_any_other(draft, admin):
    updated = services.policy_version_update_draft(
        version=draft, changes={"overseas_reading": "B", "annual_budget_fen": 50_000_000_000,
                                "voucher_validity_days": 365}, actor=admin, now=timezone.now())
    services.policy_version_publish(version=updated, effective_from=tomorrow(), actor=admin, now=timezone.now())
    result = selectors.policy_quote(cost="20000", overseas=True, on=tomorrow())
    # reading B: (0.30 + 0.30) × 20,000.00 = 12,000.00
    assert result.amount == Money(1_200_000) and str(result.reading) == "B"


def test_version_ids_are_unique_and_well_formed(admin, draft):
    with pytest.raises(Conflict) as taken:
        services.policy_version_create_draft(version_id=draft.version_id, title="x", actor=admin, now=timezone.now())
    assert taken.value.code == "policy_version_id_taken"
    with pytest.raises(DomainError) as invalid:
        services.policy_version_create_draft(version_id="Huairou 2027", title="x", actor=admin, now=timezone.now())
    assert invalid.value.code == "policy_version_id_invalid"
