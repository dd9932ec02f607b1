"""The API's boundary (issue 15): bounded parameters, bounded JSON bodies, JSON 404s, an honest OpenAPI document."""

import json

import pytest
from django.test import Client

from yingdu.accounts.models import Role
from yingdu.api import UndeclaredError, api
from yingdu.api_errors import ERRORS_ATTRIBUTE
from yingdu.api_types import DB_INT_MAX, JSON_MAX_DEPTH, TOKEN_MAX_LENGTH, json_nesting_exceeds
from yingdu.testing.clients import client_for, verified
from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_user

pytestmark = pytest.mark.django_db

TOO_BIG = DB_INT_MAX + 1  # 2^63: one past SQLite's and PostgreSQL's bigint


def _assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "detail"}
    assert body["code"] == code
    return body


@pytest.fixture
def provider_client():
    provider = make_metering_provider()
    return Client(headers={"X-API-Key": provider.api_key})


@pytest.fixture
def member_client():
    member = make_user()
    make_enterprise(member=member, verified_by=verified(make_staff(Role.REVIEWER)))
    return client_for(member)


@pytest.mark.parametrize("query", [f"offset={TOO_BIG}", f"work_id={TOO_BIG}", "offset=-1", "work_id=0", "work_id=-5",
                                   "limit=0", "limit=1001", f"status={'x' * (TOKEN_MAX_LENGTH + 1)}", "status=a%00b"])
def test_usage_records_out_of_range_query_is_400_with_the_error_body(provider_client, member_client, query):
    for client in (provider_client, member_client):
        body = _assert_error(client.get(f"/api/v1/usage-records?{query}"), 400, "invalid_request")
        assert body["detail"]["errors"]


def test_usage_records_at_the_largest_offset_and_id_answer_an_empty_page(provider_client):
    assert provider_client.get(f"/api/v1/usage-records?offset={DB_INT_MAX}").json() == []
    assert provider_client.get(f"/api/v1/usage-records?work_id={DB_INT_MAX}").json() == []


@pytest.mark.parametrize("work_id", [TOO_BIG, 10**30, 0, -1])
def test_notices_with_an_out_of_range_work_id_is_400(member_client, work_id):
    _assert_error(member_client.get(f"/api/v1/notices?work_id={work_id}"), 400, "invalid_request")


def test_a_huge_path_id_is_400_not_a_server_error(member_client):
    _assert_error(member_client.get(f"/api/v1/works/{TOO_BIG}"), 400, "invalid_request")
    _assert_error(member_client.get(f"/api/v1/notices/{TOO_BIG}"), 400, "invalid_request")


def test_a_too_long_body_string_is_400():
    staff = make_staff(Role.ADMIN)
    response = client_for(staff).post("/api/v1/duties/recusals", content_type="application/json",
                                      data={"case_kind": "x" * 33, "case_id": 1, "reason": "原因"})
    _assert_error(response, 400, "invalid_request")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_deeply_nested_json_to_the_ingest_endpoint_is_400_not_a_recursion_error(provider_client):
    body = '{"key_id": "k", "records": ' + _deep(100_000) + "}"
    _assert_error(provider_client.post("/api/v1/usage-records", data=body, content_type="application/json"),
                  400, "json_too_deep")
    ndjson = '{"key_id": "k"}\n' + _deep(5_000)
    _assert_error(provider_client.post("/api/v1/usage-records", data=ndjson, content_type="application/x-ndjson"),
                  400, "json_too_deep")


def test_deeply_nested_json_to_a_schema_body_is_400():
    body = '{"cost": "100", "extra": ' + _deep(JSON_MAX_DEPTH + 1) + "}"
    _assert_error(Client().post("/api/v1/policy/quote", data=body, content_type="application/json"),
                  400, "json_too_deep")


def test_json_at_the_depth_limit_is_parsed(provider_client):
    body = '{"key_id": "k", "records": [], "x": ' + _deep(JSON_MAX_DEPTH - 1) + "}"
    response = provider_client.post("/api/v1/usage-records", data=body, content_type="application/json")
    assert response.json()["code"] != "json_too_deep"


def test_a_body_over_the_limit_is_413(settings, provider_client):
    settings.API_JSON_MAX_BYTES = 1000
    body = json.dumps({"key_id": "k", "records": [{"record_id": "r" * 1000}]})
    _assert_error(provider_client.post("/api/v1/usage-records", data=body, content_type="application/json"),
                  413, "request_too_large")
    _assert_error(Client().post("/api/v1/policy/quote", data=json.dumps({"cost": "1" * 1000}),
                                content_type="application/json"), 413, "request_too_large")


def test_a_body_over_djangos_upload_limit_is_413(settings, provider_client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    _assert_error(provider_client.post("/api/v1/usage-records", data="{" + " " * 200 + "}",
                                       content_type="application/json"), 413, "request_too_large")


@pytest.mark.parametrize("body, deeper", [
    (b"[]", False), (b"[[[]]]", False), (b"[[[[]]]]", True), (b'["[[[[[[", {"a": "]]]]]]"}]', False),
    (b'[{"a": [1, {"b": []}]}]', True), (b'"\\"[[[[[["', False), (b"[[[", False)])
def test_json_nesting_is_measured_without_counting_brackets_in_strings(body, deeper):
    assert json_nesting_exceeds(body, 3) is deeper


@pytest.mark.parametrize("path", ["/api/v1/nowhere", "/api/v1/works/1/nowhere", "/api/v1/"])
def test_unknown_api_paths_answer_a_json_404(path):
    body = _assert_error(Client().get(path), 404, "not_found")
    assert body["detail"] == {"path": path}


def _document():
    return Client().get("/api/v1/openapi.json").json()


def test_every_operation_documents_its_error_answers_with_the_error_schema():
    document = _document()
    assert document["components"]["schemas"]["Error"]["required"] == ["code", "message", "detail"]
    operations = [(path, method, op) for path, methods in document["paths"].items() for method, op in methods.items()]
    assert len(operations) > 90
    for path, method, operation in operations:
        responses = operation["responses"]
        errors = {int(status): response for status, response in responses.items() if int(status) >= 400}
        for status, response in errors.items():
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
            assert response["x-error-codes"], f"{method} {path} {status}"
        if operation.get("security"):
            assert "not_authenticated" in responses["401"]["x-error-codes"], f"{method} {path}"
        if operation.get("parameters"):
            assert "invalid_request" in responses["400"]["x-error-codes"], f"{method} {path}"
        if operation.get("requestBody"):
            assert "400" in responses, f"{method} {path}"
        if "{" in path:
            assert "not_found" in responses["404"]["x-error-codes"], f"{method} {path}"


def _bounded(schema: dict, where: str, components: dict) -> list[str]:
    """Where in ``schema`` an integer, string or array has no bounds (a string: no maximum length or no pattern)."""
    if "$ref" in schema:
        return _bounded(components[schema["$ref"].rsplit("/", 1)[1]], where, components)
    problems = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            problems += _bounded(option, where, components)
    kind = schema.get("type")
    if kind == "integer" and ("minimum" not in schema or "maximum" not in schema):
        problems.append(where)
    if kind == "string" and "format" not in schema and "enum" not in schema and (
            "maxLength" not in schema or "pattern" not in schema):  # the pattern keeps NUL out (PostgreSQL)
        problems.append(where)
    if kind == "array":
        if schema.get("items", {}).get("format") != "binary" and "maxItems" not in schema:
            problems.append(where)
        problems += _bounded(schema.get("items", {}), f"{where}[]", components)
    for name, field in schema.get("properties", {}).items():
        problems += _bounded(field, f"{where}.{name}", components)
    return problems


def test_every_integer_string_and_list_the_api_accepts_is_bounded():
    document = _document()
    components = document["components"]["schemas"]
    problems = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                problems += _bounded(parameter["schema"], f"{where} {parameter['name']}", components)
            for content_type, content in operation.get("requestBody", {}).get("content", {}).items():
                if content_type == "application/x-ndjson":
                    continue  # parsed by the handler within the body limits (json_loads_bounded)
                problems += _bounded(content["schema"], f"{where} body", components)
    assert problems == []


def test_a_route_that_raises_a_code_lists_it_in_the_document():
    responses = _document()["paths"]["/api/v1/policy/versions/{version_id}"]["get"]["responses"]
    assert "policy_version_not_found" in responses["404"]["x-error-codes"]
    assert Client().get("/api/v1/policy/versions/nope").json()["code"] == "policy_version_not_found"


def test_a_four_eyes_step_documents_202_second_person_required():
    responses = _document()["paths"]["/api/v1/users/{user_id}/roles"]["post"]["responses"]
    assert responses["202"]["x-error-codes"] == ["second_person_required"]


def test_an_undeclared_error_answer_fails_in_strict_mode(settings):
    settings.API_ERRORS_STRICT = True
    [operation] = [op for router in api._get_bound_routers() for view in router.path_operations.values()
                   for op in view.operations if op.view_func.__name__ == "policy_version"]
    declared = getattr(operation.view_func, ERRORS_ATTRIBUTE)
    setattr(operation.view_func, ERRORS_ATTRIBUTE, {})
    try:
        with pytest.raises(UndeclaredError, match="policy_version_not_found"):
            Client().get("/api/v1/policy/versions/nope")
    finally:
        setattr(operation.view_func, ERRORS_ATTRIBUTE, declared)
