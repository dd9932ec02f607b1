"""Uploads are decoded, not only sniffed (issue 15): a screenshot must be an image, every file must be whole, and
stored files are served back as what they are (images inline, PDFs as attachments, never sniffed)."""

import io
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yingdu.accounts.models import Role
from yingdu.enterprises import services as enterprise_services
from yingdu.errors import DomainError
from yingdu.files import (
    IMAGE_ONLY,
    IMAGE_OR_PDF,
    MSG_FILE_DAMAGED,
    MSG_FILE_NOT_IMAGE,
    MSG_FILE_TYPE,
    decoded_content_type,
)
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import (
    PDF_BYTES,
    PNG_BYTES,
    enterprise_details,
    image_bytes,
    make_enterprise,
    make_staff,
    make_user,
    make_work,
    pdf_bytes,
)
from yingdu.works import services
from yingdu.works.models import OverseasDistribution, WorkRelease

# made at one fixed moment, not the real clock
NOW = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)

NUMBER = "（京）网剧审字（2026）第018号"
JPEG_BYTES = image_bytes("JPEG")
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"

# (name, bytes, code for a field that takes images or PDFs, code for a screenshot field)
BAD_FILES = [
    ("truncated PNG", PNG_BYTES[: len(PNG_BYTES) // 2], "file_damaged", "file_damaged"),
    ("PNG cut just before its end chunk", PNG_BYTES[:-12], "file_damaged", "file_damaged"),
    ("truncated JPEG", JPEG_BYTES[: len(JPEG_BYTES) // 2], "file_damaged", "file_damaged"),
    ("truncated PDF", PDF_BYTES[:120], "file_damaged", "file_not_image"),
    ("PDF renamed .png", PDF_BYTES, None, "file_not_image"),
    ("HTML renamed .pdf", HTML_BYTES, "file_type_not_allowed", "file_not_image"),
    ("PNG signature then HTML", b"\x89PNG\r\n\x1a\n" + HTML_BYTES, "file_damaged", "file_damaged"),
    ("PDF signature then HTML", b"%PDF-1.7\n" + HTML_BYTES, "file_damaged", "file_not_image"),
    ("JPEG signature then garbage", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "file_damaged", "file_damaged"),
    ("PNG with a PDF appended (polyglot)", PNG_BYTES + PDF_BYTES, "file_damaged", "file_damaged"),
    ("GIF", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "file_type_not_allowed", "file_not_image"),
]


@pytest.mark.parametrize(("name", "data", "general_code", "image_code"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_each_bad_file_is_refused_with_a_stable_code(name, data, general_code, image_code):
    with pytest.raises(DomainError) as caught:
        decoded_content_type(data, kinds=IMAGE_ONLY)
    assert caught.value.code == image_code
    if general_code is None:
        assert decoded_content_type(data, kinds=IMAGE_OR_PDF) == "application/pdf"
    else:
        with pytest.raises(DomainError) as caught:
            decoded_content_type(data, kinds=IMAGE_OR_PDF)
        assert caught.value.code == general_code
    messages = {"file_damaged": MSG_FILE_DAMAGED, "file_not_image": MSG_FILE_NOT_IMAGE,
                "file_type_not_allowed": MSG_FILE_TYPE}
    assert str(caught.value.message) == str(messages[caught.value.code])


@pytest.mark.parametrize(("data", "content_type"), [
    (PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg"), (PDF_BYTES, "application/pdf"),
    (pdf_bytes("多页"), "application/pdf"),
])
def test_each_valid_file_is_accepted_as_what_it_is(data, content_type):
    assert decoded_content_type(data, kinds=IMAGE_OR_PDF) == content_type
    if content_type.startswith("image/"):
        assert decoded_content_type(data, kinds=IMAGE_ONLY) == content_type


def test_an_image_with_too_many_pixels_is_refused_before_it_is_decoded():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buffer, format="PNG")  # 60 million pixels, a few kilobytes
    with pytest.raises(DomainError) as caught:
        decoded_content_type(buffer.getvalue(), kinds=IMAGE_ONLY)
    assert caught.value.code == "file_damaged"


@pytest.fixture
def work():
    return make_work(make_enterprise(verified_by=verified(make_staff(Role.REVIEWER))))


def _release_post(work, screenshot: SimpleUploadedFile, **overrides):
    data = {"release-platform": "hongguo", "release-url": "https://hongguo.example.cn/drama/1",
            "release-went_live_on": "2026-04-20", "release-licence_number": NUMBER, "release-screenshot": screenshot}
    data.update(overrides)
    return client_for(work.enterprise.registered_by).post(f"/works/{work.pk}/releases/", data=data)


@pytest.mark.django_db
def test_a_pdf_uploaded_as_the_release_screenshot_is_refused_beside_the_field(work):
    response = _release_post(work, SimpleUploadedFile("截图.png", PDF_BYTES, content_type="image/png"))
    assert response.status_code == 400
    assert str(MSG_FILE_NOT_IMAGE) in response.content.decode()
    assert not WorkRelease.objects.filter(work=work).exists()


@pytest.mark.django_db
def test_a_pdf_screenshot_through_the_api_is_a_400_with_the_code_and_the_field(work):
    client = client_for(work.enterprise.registered_by)
    response = client.post(f"/api/v1/works/{work.pk}/releases", data={
        "platform": "hongguo", "url": "https://hongguo.example.cn/drama/1", "went_live_on": "2026-04-20",
        "licence_number": NUMBER, "screenshot": SimpleUploadedFile("shot.png", PDF_BYTES, content_type="image/png")})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "file_not_image" and body["message"] == str(MSG_FILE_NOT_IMAGE)
    assert not WorkRelease.objects.filter(work=work).exists()


@pytest.mark.django_db
def test_a_truncated_licence_is_refused_and_registers_nothing():
    with pytest.raises(DomainError) as caught:
        enterprise_services.enterprise_register(
            user=make_user(), details=enterprise_details(), now=NOW,
            licence=SimpleUploadedFile("执照.png", PNG_BYTES[:-20], content_type="image/png"))
    assert caught.value.code == "file_damaged"


def _record_release(work, data: bytes, name: str):
    return services.work_release_record(
        work=work, actor=verified(work.enterprise.registered_by), platform="hongguo",
        url="https://hongguo.example.cn/drama/1", went_live_on=date(2026, 4, 20), licence_number=NUMBER,
        screenshot=SimpleUploadedFile(name, data, content_type="application/octet-stream"), now=NOW)


@pytest.mark.django_db
def test_a_screenshot_is_served_inline_as_the_image_it_is_never_sniffed(work):
    release = _record_release(work, JPEG_BYTES, "上线截图.JPG")
    assert release.screenshot_content_type == "image/jpeg"
    client = client_for(work.enterprise.registered_by)
    for url in (f"/works/{work.pk}/files/screenshot/{release.pk}/",
                f"/api/v1/works/{work.pk}/releases/{release.pk}/screenshot"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline;")
        assert b"".join(response.streaming_content) == JPEG_BYTES


@pytest.mark.django_db
def test_a_pdf_is_served_as_an_attachment_with_a_pdf_filename(work):
    member = verified(work.enterprise.registered_by)
    distribution = services.work_distribution_record(
        work=work, actor=member, territory="东南亚", platform="other", platform_name="Viu", listed_title="Drama",
        went_live_on=date(2026, 5, 1), now=NOW,
        agreement=SimpleUploadedFile('协议"终稿".PDF', PDF_BYTES, content_type="text/html"),
        listing_evidence=SimpleUploadedFile("证明.png", PNG_BYTES, content_type="image/png"))
    assert OverseasDistribution.objects.get(pk=distribution.pk).agreement_content_type == "application/pdf"
    client = client_for(work.enterprise.registered_by)
    for url in (f"/works/{work.pk}/files/agreement/{distribution.pk}/",
                f"/api/v1/works/{work.pk}/distributions/{distribution.pk}/agreement"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        disposition = response["Content-Disposition"]
        # the uploaded name, its quotes replaced, with the extension its content proves (RFC 5987 for non-ASCII)
        assert disposition == "attachment; filename*=utf-8''%E5%8D%8F%E8%AE%AE_%E7%BB%88%E7%A8%BF_.pdf"
    listing = client.get(f"/works/{work.pk}/files/listing/{distribution.pk}/")
    assert listing["Content-Type"] == "image/png" and listing["Content-Disposition"].startswith("inline;")
