from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.enterprises import services
from yingdu.enterprises.models import Enterprise, EnterpriseState, EnterpriseStateChange
from yingdu.errors import DomainError
from yingdu.testing.clients import verified
from yingdu.testing.duties import two_people
from yingdu.testing.factories import (
    PDF_BYTES,
    PNG_BYTES,
    enterprise_details,
    licence_pdf,
    make_enterprise,
    make_staff,
    make_user,
    unique_uscc,
)

pytestmark = pytest.mark.django_db


def _row_counts():
    return Enterprise.objects.count(), EnterpriseStateChange.objects.count()


def test_registration_creates_a_pending_enterprise_with_its_history_and_licence_hash():
    member = make_user()
    enterprise = services.enterprise_register(user=member, details=enterprise_details(uscc="9111-0000 6000 3734 1l"),
                                              licence=licence_pdf(), now=timezone.now())
    assert enterprise.state == EnterpriseState.PENDING
    assert enterprise.uscc == "91110000600037341L"
    assert len(enterprise.licence_sha256) == 64 and enterprise.licence_content_type == "application/pdf"
    member.refresh_from_db()
    assert member.organisation_id == enterprise.organisation_id
    history = list(enterprise.state_changes.values_list("action", "to_state"))
    assert history == [("register", EnterpriseState.PENDING)]


@pytest.mark.parametrize(("uscc", "code"), [
    ("91110000600037341M", "uscc_check_digit"),
    ("9111000060003734OL", "uscc_character"),
    ("9111000060003734", "uscc_length"),
])
def test_bad_uscc_is_refused_with_its_code_and_nothing_is_written(uscc, code):
    member = make_user()
    before = _row_counts()
    with pytest.raises(DomainError) as caught:
        services.enterprise_register(user=member, details=enterprise_details(uscc=uscc), licence=licence_pdf(),
                                     now=timezone.now())
    assert caught.value.code == code
    assert caught.value.field == "uscc"
    assert _row_counts() == before
    member.refresh_from_db()
    assert member.organisation_id is None


def test_duplicate_uscc_is_refused():
    first = make_enterprise()
    before = _row_counts()
    with pytest.raises(DomainError) as caught:
        make_enterprise(uscc=first.uscc.lower())
    assert caught.value.code == "uscc_taken"
    assert caught.value.status == 409
    assert _row_counts() == before


def test_a_text_file_named_pdf_is_refused_by_content():
    member = make_user()
    fake = SimpleUploadedFile("licence.pdf", b"just some text", content_type="application/pdf")
    with pytest.raises(DomainError) as caught:
        services.enterprise_register(user=member, details=enterprise_details(), licence=fake, now=timezone.now())
    assert caught.value.code == "file_type_not_allowed"
    assert Enterprise.objects.count() == 0


def test_an_oversized_licence_is_refused(settings):
    settings.UPLOAD_MAX_BYTES = 100
    with pytest.raises(DomainError) as caught:
        services.enterprise_register(user=make_user(), details=enterprise_details(),
                                     licence=licence_pdf(data=PDF_BYTES + b"x" * 200),
                                     now=datetime(2026, 9, 21, 2, 0, tzinfo=UTC))
    assert caught.value.code == "file_too_large"
    assert Enterprise.objects.count() == 0


def test_png_licence_is_accepted_and_stored_by_hash(settings):
    enterprise = services.enterprise_register(
        user=make_user(), details=enterprise_details(), now=timezone.now(),
        licence=SimpleUploadedFile("执照.png", PNG_BYTES, content_type="image/png"))
    assert enterprise.licence_content_type == "image/png"
    stored = settings.UPLOAD_ROOT / "licences" / enterprise.licence_sha256[:2] / enterprise.licence_sha256
    assert stored.read_bytes() == PNG_BYTES


@pytest.mark.parametrize(("field", "value", "code"), [
    ("name", "  ", "field_required"),
    ("contact_phone", "12345", "phone_invalid"),
    ("registered_address", "", "field_required"),
])
def test_missing_or_malformed_fields_are_refused(field, value, code):
    with pytest.raises(DomainError) as caught:
        services.enterprise_register(user=make_user(), details=enterprise_details(**{field: value}),
                                     licence=licence_pdf(), now=timezone.now())
    assert caught.value.code == code
    assert caught.value.field == field
    assert Enterprise.objects.count() == 0


def test_a_member_of_an_organisation_cannot_register_a_second_enterprise():
    enterprise = make_enterprise()
    with pytest.raises(DomainError) as caught:
        make_enterprise(member=enterprise.registered_by)
    assert caught.value.code == "already_member"


def test_self_registration_with_a_weak_password_creates_neither_login_nor_enterprise():
    from yingdu.accounts.models import User
    with pytest.raises(DomainError) as caught:
        services.enterprise_register_with_account(
            username="newcomer", password="12345678", display_name="新人", email="", details=enterprise_details(),
            licence=licence_pdf(), now=timezone.now())
    assert caught.value.code == "password_weak"
    assert not User.objects.filter(username="newcomer").exists()
    assert Enterprise.objects.count() == 0


def test_self_registration_rolls_back_the_login_when_the_enterprise_is_refused():
    from yingdu.accounts.models import User
    existing = make_enterprise()
    with pytest.raises(DomainError):
        services.enterprise_register_with_account(
            username="newcomer", password="Correct-Horse-7391", display_name="新人", email="",
            details=enterprise_details(uscc=existing.uscc), licence=licence_pdf(), now=timezone.now())
    assert not User.objects.filter(username="newcomer").exists()


def test_reviewer_verifies_after_confirming_huairou_registration():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise()
    with pytest.raises(DomainError) as caught:
        services.enterprise_verify(enterprise=enterprise, actor=reviewer, huairou_confirmed=False, now=timezone.now())
    assert caught.value.code == "huairou_not_confirmed"
    enterprise = services.enterprise_verify(enterprise=enterprise, actor=reviewer, huairou_confirmed=True,
                                            now=timezone.now(), reason="执照注册地为怀柔区")
    assert enterprise.state == EnterpriseState.VERIFIED
    last = enterprise.state_changes.last()
    assert (last.action, last.from_state, last.to_state, last.actor_id) == ("verify", "pending", "verified", reviewer.pk)


@pytest.mark.parametrize("role", [Role.APPROVER, Role.FINANCE, Role.AUDITOR])
def test_other_staff_roles_cannot_verify(role):
    enterprise = make_enterprise()
    with pytest.raises(DomainError) as caught:
        services.enterprise_verify(enterprise=enterprise, actor=verified(make_staff(role)), huairou_confirmed=True,
                                   now=timezone.now())
    assert caught.value.code == "role_not_allowed"
    enterprise.refresh_from_db()
    assert enterprise.state == EnterpriseState.PENDING


def test_a_reviewer_who_skipped_two_factor_cannot_verify():
    enterprise = make_enterprise()
    with pytest.raises(DomainError) as caught:
        services.enterprise_verify(enterprise=enterprise, actor=make_staff(Role.REVIEWER), huairou_confirmed=True,
                                   now=timezone.now())
    assert caught.value.code == "role_not_allowed"


def test_an_enterprise_member_cannot_verify_their_own_enterprise():
    enterprise = make_enterprise()
    with pytest.raises(DomainError) as caught:
        services.enterprise_verify(enterprise=enterprise, actor=enterprise.registered_by, huairou_confirmed=True,
                                   now=timezone.now())
    assert caught.value.code == "role_not_allowed"


def test_verifying_twice_is_a_conflict_and_adds_no_history():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    changes = enterprise.state_changes.count()
    with pytest.raises(DomainError) as caught:
        services.enterprise_verify(enterprise=enterprise, actor=reviewer, huairou_confirmed=True, now=timezone.now())
    assert caught.value.code == "transition_not_allowed"
    assert enterprise.state_changes.count() == changes


def test_disqualification_is_dated_and_reasoned_and_only_an_admin_reinstates():
    reviewer = verified(make_staff(Role.REVIEWER))
    auditor = verified(make_staff(Role.AUDITOR))
    admin = verified(make_staff(Role.ADMIN))
    enterprise = make_enterprise(verified_by=reviewer)
    effective = timezone.localdate()
    with pytest.raises(DomainError) as caught:
        services.enterprise_disqualify(enterprise=enterprise, actor=auditor, reason=" ", effective_on=effective,
                                       now=timezone.now())
    assert caught.value.code == "reason_required"
    enterprise = services.enterprise_disqualify(enterprise=enterprise, actor=auditor, reason="虚报用量",
                                                effective_on=effective, now=timezone.now())
    assert enterprise.state == EnterpriseState.DISQUALIFIED
    with pytest.raises(DomainError) as caught:
        services.enterprise_reinstate(enterprise=enterprise, actor=auditor, reason="复核无误",
                                      effective_on=effective, now=timezone.now())
    assert caught.value.code == "role_not_allowed"
    enterprise = two_people(services.enterprise_reinstate, first=admin, second=verified(make_staff(Role.ADMIN)),
                            enterprise=enterprise, reason="复核无误", effective_on=effective, now=timezone.now())
    assert enterprise.state == EnterpriseState.VERIFIED
    assert list(enterprise.state_changes.values_list("action", flat=True)) == [
        "register", "verify", "disqualify", "reinstate"]


def test_a_rejected_enterprise_can_resubmit_with_an_explanation():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise()
    enterprise = services.enterprise_reject(enterprise=enterprise, actor=reviewer, reason="执照不清晰",
                                            now=timezone.now())
    member = enterprise.registered_by
    with pytest.raises(DomainError) as caught:
        services.enterprise_resubmit(enterprise=enterprise, actor=member, reason="", now=timezone.now())
    assert caught.value.code == "reason_required"
    other_member = make_enterprise().registered_by
    with pytest.raises(DomainError) as caught:
        services.enterprise_resubmit(enterprise=enterprise, actor=other_member, reason="重新上传", now=timezone.now())
    assert caught.value.code == "role_not_allowed"
    enterprise = services.enterprise_resubmit(enterprise=enterprise, actor=member, reason="已补充清晰执照",
                                              now=timezone.now())
    assert enterprise.state == EnterpriseState.PENDING


def test_unique_uscc_helper_generates_valid_distinct_codes():
    from yingdu.rules.uscc import validate_uscc
    codes = {unique_uscc() for _ in range(20)}
    assert len(codes) == 20
    assert all(validate_uscc(code) == code for code in codes)


def test_effective_dates_are_the_shanghai_calendar_day_not_the_utc_one():
    from datetime import date, datetime
    from datetime import timezone as dt_timezone
    late_utc_evening = datetime(2026, 11, 26, 23, 30, tzinfo=dt_timezone.utc)  # 07:30 on 27 November in Beijing
    enterprise = services.enterprise_register(user=make_user(), details=enterprise_details(), licence=licence_pdf(),
                                              now=late_utc_evening)
    assert enterprise.state_changes.get().effective_on == date(2026, 11, 27)
    reviewer = verified(make_staff(Role.REVIEWER))
    auditor = verified(make_staff(Role.AUDITOR))
    enterprise = services.enterprise_verify(enterprise=enterprise, actor=reviewer, huairou_confirmed=True,
                                            now=late_utc_evening)
    enterprise = services.enterprise_transition_by_action(enterprise=enterprise, action="disqualify", actor=auditor,
                                                          reason="抽查", now=late_utc_evening)
    assert enterprise.state_changes.last().effective_on == date(2026, 11, 27)
