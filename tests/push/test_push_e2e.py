"""Adapter output pushed to a running platform lands; re-running the same period lands nothing new."""

import pytest

from yingdu.metering.models import RecordStatus, UsageRecord
from yingdu.metering.selectors import work_verified_cost_microfen

from .conftest import FIXTURES, run_cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_slurm_records_land_once_and_the_state_file_sends_only_new_jobs(platform, tmp_path):
    sacct = tmp_path / "sacct.txt"
    lines = (FIXTURES / "sacct.txt").read_text().splitlines(keepends=True)
    sacct.write_text("".join(lines[:2]))  # the first run sees job 4101 (and its batch step) only
    state = tmp_path / "state.json"
    common = ["--map", platform.mapping, "--state", state, *platform.push_options]

    status, receipts, err = run_cli("from-slurm", sacct, *common)
    assert status == 0, err
    assert [(r["record_id"], r["status"]) for r in receipts] == [("slurm:hr1:4101", "accepted")]

    sacct.write_text("".join(lines))  # the next run: sacct's window overlaps, 4102, 4103 and 4107 are new
    status, receipts, err = run_cli("from-slurm", sacct, *common)
    assert status == 0, err
    assert [(r["record_id"], r["status"]) for r in receipts] == [
        ("slurm:hr1:4102", "accepted"), ("slurm:hr1:4103", "accepted"), ("slurm:hr1:4107", "accepted")]
    status, receipts, err = run_cli("from-slurm", sacct, *common)
    assert (status, receipts) == (0, []) and "nothing new to push (4 already pushed" in err

    # without the state file (lost, or another machine) the same jobs are answered duplicate: nothing counted twice
    status, receipts, err = run_cli("from-slurm", sacct, "--map", platform.mapping, *platform.push_options)
    assert status == 0, err
    assert {r["status"] for r in receipts} == {"duplicate"} and len(receipts) == 4
    assert "accepted 0, duplicate 4" in err
    stored = UsageRecord.objects.filter(provider=platform.provider)
    assert stored.count() == 4 and {r.status for r in stored} == {RecordStatus.ACCEPTED}
    # drama-01: 5 + 0.5 + 0.333333 A100 card-hours at 10 yuan; drama-02: 1.333333 H800 card-hours at 20 yuan
    assert work_verified_cost_microfen(platform.works["drama-01"]) == 5_833_333 * 1000
    assert work_verified_cost_microfen(platform.works["drama-02"]) == 1_333_333 * 2000


def test_opencost_records_land_once(platform):
    source = FIXTURES / "opencost-allocation.json"
    status, receipts, err = run_cli("from-opencost", source, "--map", platform.mapping, *platform.push_options)
    assert status == 0, err
    assert [r["status"] for r in receipts] == ["accepted", "accepted"]
    status, receipts, err = run_cli("from-opencost", source, "--map", platform.mapping, *platform.push_options)
    assert [r["status"] for r in receipts] == ["duplicate", "duplicate"] and status == 0
    assert UsageRecord.objects.filter(provider=platform.provider).count() == 2
    assert work_verified_cost_microfen(platform.works["drama-01"]) == 12_500_000 * 1000


def test_the_platform_refuses_an_ingest_api_version_it_does_not_speak(platform):
    import json
    import urllib.error
    import urllib.request

    from yingdu_push.client import load_key, signed_batch
    body = json.dumps(signed_batch([], load_key(platform.key))).encode()
    request = urllib.request.Request(f"{platform.url}/api/v1/usage-records", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-API-Key": platform.api_key, "X-Yingdu-Ingest-API": "2"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    answer = json.load(refused.value)
    assert refused.value.code == 400 and answer["code"] == "ingest_api_unsupported"
    assert answer["detail"]["supported"] == ["1"]


def test_recorded_real_sacct_output_lands_once(platform):
    source = FIXTURES / "sacct-recorded.txt"
    status, receipts, err = run_cli("from-slurm", source, "--map", platform.mapping, *platform.push_options)
    assert status == 0, err
    assert [(r["record_id"], r["status"], r["quarantine"]) for r in receipts] == [
        (f"slurm:hr1:{job}", "accepted", None) for job in (1, 2, 3, 5)]
    status, receipts, err = run_cli("from-slurm", source, "--map", platform.mapping, *platform.push_options)
    assert status == 0 and [r["status"] for r in receipts] == ["duplicate"] * 4
    assert UsageRecord.objects.filter(provider=platform.provider).count() == 4
