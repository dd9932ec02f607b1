"""A newcomer signs in with the unified identity at a running OpenID Connect provider (panva's oidc-provider, started
here), registers an enterprise from it with the name and USCC it asserts, and later signs in with it directly."""

import re

import pytest
from playwright.sync_api import expect

from yingdu.accounts.models import LinkedIdentity
from yingdu.enterprises.models import Enterprise, EnterpriseState
from yingdu.testing.factories import PDF_BYTES, unique_uscc
from yingdu.testing.oidc_provider import provider_start, provider_stop

from .conftest import assert_fits_width

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def provider(live_server, settings):
    uscc = unique_uscc()
    running = provider_start(redirect_uris=[f"{live_server.url}/accounts/oidc/callback/"], accounts={
        "unified-4711": {"name": "林青", "email": "linqing@example.com", "email_verified": True, "uscc": uscc,
                         "enterprise_name": "北京怀柔青林影像有限公司"}})
    settings.YINGDU_OIDC = {**running.settings(), "scopes": "openid profile email enterprise"}
    running.uscc = uscc
    yield running
    provider_stop(running)


def sign_in_at_provider(page, login: str) -> None:
    """The provider's development login form (any password), then its consent page."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_newcomer_signs_in_with_the_unified_identity_and_registers_an_enterprise(live_server, page, provider,
                                                                                 screenshot, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    licence = tmp_path / "营业执照.pdf"
    licence.write_bytes(PDF_BYTES)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    expect(page).to_have_url(re.compile(re.escape(provider.issuer)))
    sign_in_at_provider(page, "unified-4711")

    expect(page.get_by_role("heading", name="关联统一身份认证")).to_be_visible()
    expect(page.get_by_text("林青").first).to_be_visible()
    assert_fits_width(page)
    screenshot(page, f"oidc-link-{width}")
    page.get_by_role("link", name="注册企业").first.click()

    expect(page.get_by_label("统一社会信用代码")).to_have_value(provider.uscc)
    expect(page.get_by_label("企业名称")).to_have_value("北京怀柔青林影像有限公司")
    expect(page.get_by_label("您的姓名")).to_have_value("林青")
    expect(page.get_by_label("电子邮箱")).to_have_value("linqing@example.com")
    page.get_by_label("登录用户名").fill("linqing")
    page.get_by_label(re.compile(r"^密码")).fill("Yingdu-Linqing-2026")
    page.get_by_label("再次输入密码").fill("Yingdu-Linqing-2026")
    page.get_by_label("注册地址").fill("北京市怀柔区杨宋镇影都路12号")
    page.get_by_label("法定代表人").fill("林青")
    page.get_by_label("联系电话").fill("13911114444")
    page.get_by_label("营业执照").set_input_files(str(licence))
    assert_fits_width(page)
    page.get_by_role("button", name="提交注册").click()
    expect(page.get_by_test_id("enterprise-state")).to_have_text("待核验")
    screenshot(page, f"oidc-registered-{width}")

    enterprise = Enterprise.objects.get(uscc=provider.uscc)
    assert enterprise.state == EnterpriseState.PENDING
    identity = LinkedIdentity.objects.get(subject="unified-4711")
    assert identity.user_id == enterprise.registered_by_id and identity.issuer == provider.issuer

    # signed out, the same identity now signs in directly as the new account
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("link", name="使用统一身份认证登录").click()
    sign_in_at_provider(page, "unified-4711")
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/dashboard/"))
    expect(page.get_by_role("link", name="使用统一身份认证登录")).to_have_count(0)
