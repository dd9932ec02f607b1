"""The work page's record forms: refusals are shown beside the form and store nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import PNG_BYTES, make_enterprise, make_staff, make_work
from yingdu.works import services
from yingdu.works.models import WorkRelease

pytestmark = pytest.mark.django_db

NUMBER = "（京）网剧审字（2026）第018号"


@pytest.fixture
def work():
    return make_work(make_enterprise(verified_by=verified(make_staff(Role.REVIEWER))))


def _release(work, **extra):
    return services.work_release_record(
        work=work, actor=verified(work.enterprise.registered_by), platform="hongguo",
        url="https://hongguo.example.cn/drama/1", went_live_on=date(2026, 4, 20), licence_number=NUMBER,
        screenshot=SimpleUploadedFile("截图.png", PNG_BYTES, content_type="image/png"), now=timezone.now(), **extra)


def _release_post(work, **overrides):
    data = {"release-platform": "hongguo", "release-url": "https://hongguo.example.cn/drama/1",
            "release-went_live_on": "2026-04-20", "release-licence_number": NUMBER,
            "release-screenshot": SimpleUploadedFile("截图.png", PNG_BYTES, content_type="image/png")}
    data.update(overrides)
    return client_for(work.enterprise.registered_by).post(f"/works/{work.pk}/releases/", data=data)


def test_correcting_an_already_corrected_release_is_refused_on_the_page(work):
    original = _release(work)
    _release(work, supersedes_id=original.pk, reason="链接有误")
    response = _release_post(work, **{"release-supersedes": str(original.pk), "release-reason": "再次更正"})
    assert response.status_code == 400
    assert str(services.MSG_SUPERSEDED) in response.content.decode()
    assert WorkRelease.objects.filter(work=work).count() == 2


def test_a_release_form_with_a_missing_field_is_redisplayed_and_stores_nothing(work):
    response = _release_post(work, **{"release-url": ""})
    assert response.status_code == 400
    assert not WorkRelease.objects.filter(work=work).exists()


def test_another_enterprise_cannot_record_a_release_of_the_work(work):
    outsider = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER))).registered_by
    data = {"release-platform": "hongguo", "release-url": "https://hongguo.example.cn/drama/1",
            "release-went_live_on": "2026-04-20", "release-licence_number": NUMBER,
            "release-screenshot": SimpleUploadedFile("截图.png", PNG_BYTES, content_type="image/png")}
    response = client_for(outsider).post(f"/works/{work.pk}/releases/", data=data)
    assert response.status_code == 404
    assert not WorkRelease.objects.filter(work=work).exists()


def test_the_work_page_reads_corrections_without_a_query_per_row(work, django_assert_max_num_queries):
    original = _release(work)
    _release(work, supersedes_id=original.pk, reason="链接有误")
    client = client_for(work.enterprise.registered_by)
    with django_assert_max_num_queries(40) as captured:
        client.get(f"/works/{work.pk}/")
    baseline = len(captured)
    for _ in range(3):
        _release(work)
    with django_assert_max_num_queries(baseline):
        assert client.get(f"/works/{work.pk}/").status_code == 200
