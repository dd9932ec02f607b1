"""Records decoded by msgspec (``RecordIn``) and by the general path (``json.loads`` then ``parse_record``) agree.

Same canonical bytes (equal to ``rfc8785``), same parsed record, or the same error code, detail and message for a
bad record, and the API answers the same whichever decoder read the body.
"""

import json
from datetime import UTC, datetime

import msgspec
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from yingdu.metering.records import (
    RecordIn,
    RecordProblem,
    decode_record,
    parse_record,
    signed_content,
)
from yingdu.rules.uscc import uscc_check_character

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
USCC = "91110116MA0000001" + uscc_check_character("91110116MA0000001")

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12)
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=12)
times = st.sampled_from(["2026-11-20T09:00:00+08:00", "2026-11-20T11:30:00+08:00", "2026-11-20T03:00:00Z",
                         "2026-11-21T16:10:00+08:00", "2026-11-20T09:00:00.123456789+08:00", "2026-13-01T00:00:00Z",
                         "2026-11-20 09:00:00+08:00", "2026-11-20T09:00:00"]) | any_text
VALUES = {
    "record_id": st.sampled_from(["rec-1", "r" * 128, "r" * 129, "", "含中文", "a b"]) | ascii_text,
    "enterprise_uscc": st.sampled_from([USCC, USCC.lower(), USCC[:-1] + "0", "", "91110116"]) | any_text,
    "project_tag": st.sampled_from(["drama-01", "", "tag\x7f"]) | ascii_text,
    "sku": st.sampled_from(["gpu-a100-hour", ""]) | ascii_text,
    "quantity": st.sampled_from(["2.5", "0", "-1", "-0.5", "1e3", "1.1234567", "NaN", "Infinity", "1000000000000",
                                 "999999999999.999999", " 1", "1_0", "+3"]) | any_text,
    "started_at": times,
    "ended_at": times,
    "node_id": st.sampled_from(["node-1", ""]) | ascii_text,
    "job_id": st.sampled_from(["job-1", ""]) | ascii_text,
    "gpu_id": st.sampled_from(["GPU-0001", ""]) | any_text,
    "corrects": st.sampled_from(["rec-1", ""]) | ascii_text,
    "signature": st.sampled_from(["c2ln", ""]) | any_text,
}
not_strings = st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False) | st.just([]) | st.just({})


VALID = {"record_id": "rec-1", "enterprise_uscc": USCC, "project_tag": "drama-01", "sku": "gpu-a100-hour",
         "quantity": "2.5", "started_at": "2026-11-20T09:00:00+08:00", "ended_at": "2026-11-20T11:30:00+08:00",
         "node_id": "node-1", "job_id": "", "gpu_id": "GPU-0001", "corrects": "", "signature": "c2ln"}


@st.composite
def raw_records(draw) -> bytes:
    """A record's JSON text (UTF-8): each known field absent, valid, a string of any kind or another JSON value;
    sometimes an unknown field; sometimes not an object at all."""
    if draw(st.integers(0, 30)) == 0:
        return json.dumps(draw(not_strings | any_text)).encode()
    record = {}
    for field, values in VALUES.items():
        choice = draw(st.integers(0, 24))
        if choice == 0 and field != "record_id":
            continue
        record[field] = draw(not_strings) if choice == 1 else draw(values) if choice < 6 else VALID[field]
    if draw(st.integers(0, 15)) == 0:
        record[draw(ascii_text)] = draw(any_text)
    keys = draw(st.permutations(list(record)))
    record = {key: record[key] for key in keys}
    try:
        return json.dumps(record, ensure_ascii=draw(st.booleans())).encode()
    except UnicodeEncodeError:  # a lone surrogate is sent escaped (it has no UTF-8 encoding)
        return json.dumps(record).encode()


def _outcome(raw):
    """What the platform makes of one decoded record: canonical bytes, and the parsed record or the problem."""
    try:
        signed = signed_content(raw)
    except RecordProblem as problem:
        return ("canonical", problem.code)
    try:
        return signed, parse_record(raw, now=NOW, signed=signed)
    except RecordProblem as problem:
        return signed, (problem.code, problem.detail, problem.message)


@settings(max_examples=600)
@given(raw_records())
@example(json.dumps({**VALID, "enterprise_uscc": USCC, "signature": "\ud800"}).encode())  # an escaped lone surrogate
def test_msgspec_and_the_general_path_agree_on_any_record(text):
    general = json.loads(text)
    decoded = decode_record(text)
    assert (type(decoded) is RecordIn) == (isinstance(general, dict) and _all_known_strings(general))
    fast, slow = _outcome(decoded), _outcome(general)
    assert fast == slow
    if isinstance(general, dict) and fast[0] != "canonical":
        body = {key: value for key, value in general.items() if key != "signature"}
        assert fast[0][0] == rfc8785.dumps(body)
    if isinstance(general, dict):  # what a result names the record by
        assert decoded.get("record_id") == general.get("record_id")


def _all_known_strings(record: dict) -> bool:
    """The records msgspec decodes as a ``RecordIn``: known fields, the required ones present, every value a string
    with a UTF-8 encoding (msgspec refuses an escaped lone surrogate, which ``json.loads`` accepts, so such a record
    takes the general path, whose canonical form refuses it)."""
    return (set(record) <= set(VALUES) and all(type(value) is str and _encodable(value) for value in record.values())
            and {"record_id", "enterprise_uscc", "project_tag", "sku", "quantity", "started_at",
                 "ended_at"} <= set(record))


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


GOOD = {"record_id": "rec-1", "enterprise_uscc": USCC, "project_tag": "drama-01", "sku": "gpu-a100-hour",
        "quantity": "2.5", "started_at": "2026-11-20T09:00:00+08:00", "ended_at": "2026-11-20T11:30:00+08:00"}


@pytest.mark.parametrize(("change", "code", "decoder"), [
    # problems msgspec cannot see: the record decodes as a RecordIn and the shared checks name them
    ({"record_id": "含中文"}, "record_id_invalid", "msgspec"),
    ({"enterprise_uscc": USCC[:-1] + ("0" if USCC[-1] != "0" else "1")}, "uscc_invalid", "msgspec"),
    ({"project_tag": ""}, "identifier_invalid", "msgspec"),
    ({"gpu_id": "GPU 1"}, "identifier_invalid", "msgspec"),
    ({"quantity": "1e3"}, "quantity_invalid", "msgspec"),
    ({"quantity": "-1"}, "quantity_not_positive", "msgspec"),
    ({"started_at": "2026-11-20 09:00:00+08:00"}, "time_invalid", "msgspec"),
    ({"ended_at": "2026-11-20T08:00:00+08:00"}, "time_order", "msgspec"),
    ({"ended_at": "2026-11-22T08:00:00+08:00"}, "time_in_future", "msgspec"),
    # problems of shape: msgspec refuses the record and the general path names them
    ({"quantity": 2.5}, "record_field_type", "general"),
    ({"sku": None}, "record_field_type", "general"),
    ({"colour": "red"}, "record_field_unknown", "general"),
    ({"ended_at": msgspec.UNSET}, "record_field_missing", "general"),
])
def test_a_bad_record_of_each_kind_gets_the_same_problem_from_both_paths(change, code, decoder):
    record = {key: value for key, value in {**GOOD, **change}.items() if value is not msgspec.UNSET}
    text = json.dumps(record, ensure_ascii=False).encode()
    decoded = decode_record(text)
    assert (type(decoded) is RecordIn) == (decoder == "msgspec")
    fast, slow = _outcome(decoded), _outcome(json.loads(text))
    assert fast == slow
    assert fast[1][0] == code


def test_a_record_that_is_not_an_object_takes_the_general_path():
    assert decode_record(b"[1, 2]") == [1, 2]
    assert _outcome(decode_record(b'"text"'))[1][0] == "record_not_object"


def test_an_absent_optional_field_stays_absent_and_an_empty_one_stays_present():
    absent = decode_record(json.dumps(GOOD).encode())
    empty = decode_record(json.dumps({**GOOD, "node_id": ""}).encode())
    assert b"node_id" not in signed_content(absent)[0]
    assert signed_content(empty)[0] == rfc8785.dumps({**GOOD, "node_id": ""})
    assert signed_content(absent)[0] != signed_content(empty)[0]


@pytest.mark.django_db
@pytest.mark.parametrize("per_record", [False, True])
def test_the_api_answers_the_same_whichever_decoder_reads_the_body(monkeypatch, per_record):
    from django.test import Client

    from yingdu.accounts.models import Role
    from yingdu.metering import api
    from yingdu.push import signed_batch
    from yingdu.testing.clients import verified
    from yingdu.testing.factories import make_enterprise, make_metering_provider, make_staff, make_work, usage_record

    enterprise = make_enterprise(verified_by=verified(make_staff(Role.REVIEWER)))
    make_work(enterprise, tag="drama-01")
    meter = make_metering_provider()
    good = [usage_record(enterprise.uscc, "drama-01", record_id=f"{prefix}-{n}") for prefix in ("a", "b")
            for n in range(3)]
    bad = [{**good[0], "record_id": "bad 1"}, {**good[1], "quantity": 2}, {**good[2], "colour": "red"}, {**good[2], "node_id": "节点 1"},
           {**good[0], "quantity": "-1"}, {**good[1], "ended_at": "2026-11-20T08:00:00+08:00"}]

    def post(records):
        body = json.dumps(signed_batch(records, meter.private_key, per_record=per_record), ensure_ascii=False)
        response = Client().post("/api/v1/usage-records", data=body, content_type="application/json",
                                 HTTP_X_API_KEY=meter.api_key)
        assert response.status_code == 200, response.content[:300]
        return response.json()

    # the first half through msgspec, the second (same records under other ids) through the general path
    fast = post([*good[:3], *bad])
    monkeypatch.setattr(api, "_decode_batch", lambda body: None)
    slow = post([*good[3:], *bad])
    assert [result["status"] for result in fast["results"]][:3] == ["accepted"] * 3
    assert [{k: v for k, v in result.items() if k not in ("record_id", "leaf_index", "leaf_hash")}
            for result in fast["results"]] == [
        {k: v for k, v in result.items() if k not in ("record_id", "leaf_index", "leaf_hash")}
        for result in slow["results"]]
    assert [result["record_id"] for result in fast["results"]][3:] == [
        result["record_id"] for result in slow["results"]][3:]


def test_a_repeated_key_means_what_json_loads_makes_of_it_on_both_paths():
    text = json.dumps(GOOD)[:-1].encode() + b', "sku": "tpu-hour", "quantity": "-3"}'
    decoded = decode_record(text)
    assert type(decoded) is RecordIn
    assert _outcome(decoded) == _outcome(json.loads(text))
    assert _outcome(decoded)[1][0] == "quantity_not_positive"
