"""yingdu-push adapters without a platform: record mapping, stable ids, dry-run, state file, errors naming file:line."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from yingdu_push.adapters import InputError, Mapping, card_hours, from_opencost, from_slurm, slurm_gpus
from yingdu_push.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
USCC = "91110116MA01ABCD11"


@pytest.fixture
def mapping_file(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text((FIXTURES / "map.toml").read_text().replace("ENTERPRISE_USCC", USCC))
    return path


def slurm(mapping_file, text=None, **options):
    text = text if text is not None else (FIXTURES / "sacct.txt").read_text()
    return from_slurm(text.splitlines(), source="sacct.txt", mapping=Mapping.load(str(mapping_file)), **options)


def test_slurm_finished_gpu_jobs_become_card_hours_with_stable_ids(mapping_file):
    result = slurm(mapping_file)
    by_id = {r["record_id"]: r for r in result.records}
    assert list(by_id) == ["slurm:hr1:4101", "slurm:hr1:4102", "slurm:hr1:4103", "slurm:hr1:4107"]
    # 2 A100 × 9000 s = 5 card-hours; the WCKey (default-marked '*') maps it; Beijing time kept with its offset
    assert by_id["slurm:hr1:4101"] == {
        "record_id": "slurm:hr1:4101", "enterprise_uscc": USCC, "project_tag": "drama-01", "sku": "gpu-a100-hour",
        "quantity": "5", "started_at": "2026-11-20T09:00:00+08:00", "ended_at": "2026-11-20T11:30:00+08:00",
        "job_id": "4101", "node_id": "gpu-n07"}
    assert by_id["slurm:hr1:4102"]["quantity"] == "0.5"
    # 8 H800 × 600 s; the account matches the pattern "studio-*"; the SKU comes from the gres type
    assert (by_id["slurm:hr1:4103"]["quantity"], by_id["slurm:hr1:4103"]["sku"],
            by_id["slurm:hr1:4103"]["project_tag"]) == ("1.333333", "gpu-h800-hour", "drama-02")
    assert by_id["slurm:hr1:4107"]["quantity"] == "0.333333"  # cancelled jobs used their GPUs too
    assert any("4104 is RUNNING" in reason for reason in result.skipped)
    assert any("4105 used no GPU time" in reason for reason in result.skipped)
    assert slurm(mapping_file).records == result.records  # same input, same records, same ids


def test_slurm_comment_may_hold_the_separator_and_the_cluster_can_be_named(mapping_file):
    result = slurm(mapping_file, cluster="huairou-1")
    assert {r["record_id"] for r in result.records} >= {"slurm:huairou-1:4103"}


@pytest.mark.parametrize("line, message", [
    ("4201|hr1|huairou-drama||COMPLETED|2026-11-20T09:00:00", "sacct.txt:2: 6 fields, expected 11"),
    ("JobIDRaw|Cluster|Account|WCKey|State|Start|End|ElapsedRaw|AllocTRES|NodeList|Comment",
     "sacct.txt:2: JobIDRaw 'JobIDRaw' is not a Slurm job id"),
    ("4202|hr1|huairou-drama||COMPLETED|20.11.2026 09:00|2026-11-20T10:00:00|3600|gres/gpu=1|n1|",
     "sacct.txt:2: job 4202: Start '20.11.2026 09:00'"),
    ("4203|hr1|nobody||COMPLETED|2026-11-20T09:00:00|2026-11-20T10:00:00|3600|gres/gpu=1|n1|",
     "sacct.txt:2: job 4203: the mapping"),
])
def test_slurm_errors_name_the_line(mapping_file, line, message):
    first = (FIXTURES / "sacct.txt").read_text().splitlines()[0]
    with pytest.raises(InputError) as raised:
        slurm(mapping_file, f"{first}\n{line}\n")
    assert str(raised.value).startswith(message), raised.value


def test_unmapped_jobs_can_be_left_out_on_request(mapping_file):
    line = "4203|hr1|nobody||COMPLETED|2026-11-20T09:00:00|2026-11-20T10:00:00|3600|gres/gpu=1|n1|"
    result = slurm(mapping_file, line, skip_unmapped=True)
    assert result.records == [] and "account 'nobody'" in result.skipped[0]


def test_gpu_counting_and_rounding():
    assert slurm_gpus("billing=16,cpu=16,gres/gpu:a100=2,gres/gpu=2,mem=128G,node=1") == (2, "a100")
    assert slurm_gpus("cpu=4,gres/gpu:a100=1,gres/gpu:h800=2") == (3, "")
    assert slurm_gpus("cpu=4,mem=16G") == (0, "")
    assert card_hours(1, 1) == Decimal("0.000278")  # half up at the platform's 6 decimals
    assert card_hours(3, 1200) == Decimal("1")


def test_mapping_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "map.toml"
    bad.write_text('sku = "gpu-a100-hour"\n[account.x]\nenterprise_uscc = \n')
    with pytest.raises(InputError, match=r"map.toml: not valid TOML: .*line 3"):
        Mapping.load(str(bad))
    bad.write_text('[account.x]\nenterprise_uscc = "1"\n')
    with pytest.raises(InputError, match=r'\[account."x"\] lacks project_tag'):
        Mapping.load(str(bad))
    bad.write_text('[acount.x]\n')
    with pytest.raises(InputError, match="unknown key"):
        Mapping.load(str(bad))


def test_no_sku_anywhere_is_an_error_naming_the_line(tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text(f'[account.a]\nenterprise_uscc = "{USCC}"\nproject_tag = "t"\n')
    line = "7|c|a||COMPLETED|2026-11-20T09:00:00|2026-11-20T10:00:00|3600|gres/gpu=1|n1|"
    with pytest.raises(InputError, match=r"^in.txt:1: no SKU"):
        from_slurm([line], source="in.txt", mapping=Mapping.load(str(mapping)))


def test_opencost_allocations_become_gpu_hours_per_window(mapping_file):
    text = (FIXTURES / "opencost-allocation.json").read_text()
    result = from_opencost(text, source="alloc.json", mapping=Mapping.load(str(mapping_file)))
    assert result.records == [
        {"record_id": "opencost:hr-k8s:drama-01:2026-11-20T00:00:00Z:2026-11-21T00:00:00Z", "enterprise_uscc": USCC,
         "project_tag": "drama-01", "sku": "gpu-a100-hour", "quantity": "12.5", "started_at": "2026-11-20T01:00:00Z",
         "ended_at": "2026-11-20T13:30:00Z", "job_id": "drama-01"},
        {"record_id": "opencost:hr-k8s:drama-02:2026-11-20T00:00:00Z:2026-11-21T00:00:00Z", "enterprise_uscc": USCC,
         "project_tag": "drama-02", "sku": "gpu-a100-hour", "quantity": "3.25", "started_at": "2026-11-20T02:00:00Z",
         "ended_at": "2026-11-20T03:37:30Z", "job_id": "drama-02"}]
    assert any("kube-system" in reason and "no GPU hours" in reason for reason in result.skipped)
    assert any("__idle__ is not a workload" in reason for reason in result.skipped)


def test_opencost_errors_name_the_line_or_the_allocation(mapping_file):
    mapping = Mapping.load(str(mapping_file))
    with pytest.raises(InputError, match=r"^alloc.json:3: not valid JSON"):
        from_opencost('{\n"code": 200,\n"data": [}\n', source="alloc.json", mapping=mapping)
    with pytest.raises(InputError, match=r'^alloc.json: data\[0\]\["x"\]: needs gpuHours'):
        from_opencost(json.dumps({"code": 200, "data": [{"x": {"gpuHours": "lots"}}]}), source="alloc.json",
                      mapping=mapping)
    with pytest.raises(InputError, match="no 'data' list"):
        from_opencost("[]", source="alloc.json", mapping=mapping)


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(mapping_file, tmp_path, capsys):
    state = tmp_path / "state.json"
    assert main(["from-slurm", str(FIXTURES / "sacct.txt"), "--map", str(mapping_file), "--dry-run",
                 "--state", str(state)]) == 0
    out, err = capsys.readouterr()
    printed = [json.loads(line) for line in out.splitlines()]
    assert [r["record_id"] for r in printed] == ["slurm:hr1:4101", "slurm:hr1:4102", "slurm:hr1:4103",
                                                 "slurm:hr1:4107"]
    assert "dry run: 4 records would be sent" in err and "nothing sent" in err
    assert not state.exists()


def test_push_without_credentials_is_refused(mapping_file, capsys):
    assert main(["from-opencost", str(FIXTURES / "opencost-allocation.json"), "--map", str(mapping_file)]) == 2
    assert "--url, --api-key, --key needed to push (or --dry-run" in capsys.readouterr().err


def test_cli_errors_name_the_line_and_exit_2(mapping_file, tmp_path, capsys):
    records = tmp_path / "records.ndjson"
    records.write_text('{"record_id": "a"}\n\n{"record_id": \n')
    assert main(["push", str(records), "--url", "http://127.0.0.1:9", "--api-key", "k", "--key", "none"]) == 2
    assert f"{records}:3: not a JSON object" in capsys.readouterr().err
    sacct = tmp_path / "sacct.txt"
    sacct.write_text("4101|hr1\n")
    assert main(["from-slurm", str(sacct), "--map", str(mapping_file), "--dry-run"]) == 2
    assert f"{sacct}:1: 2 fields, expected 11" in capsys.readouterr().err


def test_state_file_keeps_pushed_ids_and_forgets_old_ones(tmp_path):
    from yingdu_push.cli import State

    path = tmp_path / "state.json"
    state = State(str(path), keep_days=14)
    state.save([{"record_id": "old", "ended_at": "2026-11-01T00:00:00Z"},
                {"record_id": "a", "ended_at": "2026-11-20T00:00:00+08:00"}])
    state.save([{"record_id": "b", "ended_at": "2026-11-20T03:00:00+08:00"}])
    again = State(str(path), keep_days=14)
    assert set(again.pushed) == {"a", "b"}  # 'old' ended more than 14 days before the newest end it holds
    assert again.newest_end() == datetime(2026, 11, 19, 19, 0, tzinfo=UTC)
    assert again.new([{"record_id": "a"}, {"record_id": "c"}]) == [{"record_id": "c"}]
    path.write_text("not json")
    with pytest.raises(InputError, match="not a yingdu-push state file"):
        State(str(path), keep_days=14)


def test_recorded_sacct_of_a_real_single_node_slurm(mapping_file):
    """Output of Debian's slurm-wlm 22.05.8 (provenance: fixtures/README.md), with and without job steps."""
    result = slurm(mapping_file, (FIXTURES / "sacct-recorded.txt").read_text())
    assert [(r["record_id"], r["project_tag"], r["quantity"], r["started_at"], r["ended_at"]) for r in result.records] \
        == [("slurm:hr1:1", "drama-01", "0.003889", "2026-12-07T20:30:28+08:00", "2026-12-07T20:30:35+08:00"),
            ("slurm:hr1:2", "drama-01", "0.001111", "2026-12-07T20:30:28+08:00", "2026-12-07T20:30:32+08:00"),
            # account studio-night wins over the user's default WCKey '*drama-01'
            ("slurm:hr1:3", "drama-02", "0.003333", "2026-12-07T20:30:36+08:00", "2026-12-07T20:30:39+08:00"),
            ("slurm:hr1:5", "drama-01", "0.005278", "2026-12-07T20:30:42+08:00", "2026-12-07T20:31:01+08:00")]
    assert {r["sku"] for r in result.records} == {"gpu-a100-hour"}
    assert any("job 4 used no GPU time" in reason for reason in result.skipped)
    with_steps = slurm(mapping_file, (FIXTURES / "sacct-recorded-steps.txt").read_text())
    assert with_steps.records == result.records  # the steps (1.batch …) count nothing more
