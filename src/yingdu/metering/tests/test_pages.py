import base64
import io

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.metering.models import ApiKey, CatalogueEntry, UsageRecord
from yingdu.push import canonical
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

pytestmark = pytest.mark.django_db


def test_provider_portal_creates_an_api_key_shown_once_and_stored_hashed():
    meter = make_metering_provider()
    client = client_for(meter.operator)
    page = client.get("/metering/provider/")
    assert page.status_code == 200 and meter.provider.name in page.content.decode()
    response = client.post("/metering/provider/api-keys/", {"label": "生产上报"})
    body = response.content.decode()
    key = ApiKey.objects.get(label="生产上报")
    assert f"yk_{key.prefix}_" in body
    secret = body.split(f"yk_{key.prefix}_")[1].split("<")[0].strip()
    assert secret not in key.secret_sha256 and len(key.secret_sha256) == 64
    assert secret not in client.get("/metering/provider/").content.decode()


def test_a_price_in_the_past_is_refused_with_a_chinese_message():
    meter = make_metering_provider()
    client = client_for(meter.operator)
    before = CatalogueEntry.objects.count()
    response = client.post("/metering/provider/prices/", {
        "sku": "h100-hour", "name": "H100 卡时", "category": "compute", "unit": "卡时", "price_fen": "1200",
        "effective_from": "2020-01-01T00:00"}, follow=True)
    assert "不能早于当前时间" in response.content.decode()
    assert CatalogueEntry.objects.count() == before


def test_other_users_cannot_reach_the_provider_portal_or_revoke_its_keys():
    meter = make_metering_provider()
    enterprise = make_enterprise()
    other = make_metering_provider()
    assert client_for(enterprise.registered_by).get("/metering/provider/").status_code == 403
    key = meter.provider.api_keys.get()
    response = client_for(other.operator).post(f"/metering/provider/api-keys/{key.pk}/revoke/")
    assert response.status_code == 404
    signing = meter.signing_key
    assert client_for(other.operator).post(f"/metering/provider/signing-keys/{signing.pk}/revoke/").status_code == 404
    key.refresh_from_db()
    signing.refresh_from_db()
    assert key.revoked_at is None and signing.revoked_at is None


def test_csv_upload_reports_each_row():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    make_work(enterprise, tag="csv-work")
    meter = make_metering_provider()
    good = usage_record(enterprise.uscc, "csv-work", record_id="csv-1")
    bad = usage_record(enterprise.uscc, "csv-work", record_id="csv-2", quantity="5")
    columns = ["record_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at", "ended_at", "signature"]
    lines = [",".join(columns)]
    for record, tamper in ((good, False), (bad, True)):
        signature = base64.b64encode(meter.private_key.sign(canonical(record))).decode()
        values = dict(record, signature=signature)
        if tamper:
            values["quantity"] = "50"
        lines.append(",".join(values[c] for c in columns))
    upload = io.BytesIO("\n".join(lines).encode("utf-8"))
    upload.name = "usage.csv"
    response = client_for(meter.operator).post("/metering/provider/upload/", {
        "key_id": meter.signing_key.key_id, "file": upload})
    body = response.content.decode()
    assert response.status_code == 200 and "signature_invalid" in body
    # each row's result in words, the program's code kept beside the explanation
    assert '<span data-status="accepted">已接收</span>' in body and '<span data-status="invalid">无效：未接收</span>' in body
    assert list(UsageRecord.objects.values_list("record_id", flat=True)) == ["csv-1"]


def test_enterprise_usage_page_shows_its_own_works_live():
    reviewer = verified(make_staff(Role.REVIEWER))
    enterprise = make_enterprise(verified_by=reviewer)
    make_work(enterprise, tag="live-work", title="怀柔星河")
    meter = make_metering_provider(price_fen=1000)
    import json

    from yingdu.push import signed_batch
    body = signed_batch([usage_record(enterprise.uscc, "live-work", quantity="1.5")], meter.private_key)
    Client().post("/api/v1/usage-records", data=json.dumps(body), content_type="application/json",
                  HTTP_X_API_KEY=meter.api_key)
    client = client_for(enterprise.registered_by)
    assert client.get("/metering/usage/").status_code == 200
    live = client.get("/metering/usage/live/").content.decode()
    assert "怀柔星河" in live and "15.00" in live
    other = make_enterprise(verified_by=reviewer)
    assert "怀柔星河" not in client_for(other.registered_by).get("/metering/usage/live/").content.decode()


def test_the_provider_client_needs_no_django():
    import subprocess
    import sys
    code = "import yingdu.push, sys; assert not any(m.split('.')[0] == 'django' for m in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
