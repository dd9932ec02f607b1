"""The yingdu-verify command: receipts and consistency from files, and a live log over HTTP."""

import base64
import json
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from yingdu.tlog import MemoryHashStore, SignerKey, prove_consistency
from yingdu.tlog.cli import main

from .helpers import LOG_ORIGIN, LOG_VERIFIER_KEY, build_store, make_receipt, signed_checkpoint

ENTRIES = [b'{"type":"vouchers.redeem","n":%d}' % i for i in range(40)]
KEY = LOG_VERIFIER_KEY.format()


def _write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)
    return str(path)


def _run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_receipt_for_the_logged_entry_verifies(tmp_path, capsys):
    receipt = _write(tmp_path, "entry.tlog-proof", make_receipt(build_store(ENTRIES), leaf_index=17))
    entry = _write(tmp_path, "entry.json", ENTRIES[17])
    status, out, err = _run(capsys, "receipt", receipt, entry, "--key", KEY)
    assert status == 0, err
    assert out.startswith("OK: entry 17 ") and f"{LOG_ORIGIN} at tree size 40" in out


def test_receipt_for_a_tampered_entry_fails_with_one_line(tmp_path, capsys):
    receipt = _write(tmp_path, "entry.tlog-proof", make_receipt(build_store(ENTRIES), leaf_index=17))
    entry = _write(tmp_path, "entry.json", ENTRIES[17].replace(b"17", b"18"))
    status, out, err = _run(capsys, "receipt", receipt, entry, "--key", KEY)
    assert status == 1
    assert out == ""
    assert err.startswith("FAIL: receipt inclusion proof:") and err.count("\n") == 1


def test_receipt_with_an_unknown_key_fails(tmp_path, capsys):
    receipt = _write(tmp_path, "entry.tlog-proof", make_receipt(build_store(ENTRIES), leaf_index=2))
    entry = _write(tmp_path, "entry.json", ENTRIES[2])
    stranger = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(32)).verifier_key.format()
    status, _out, err = _run(capsys, "receipt", receipt, entry, "--key", stranger)
    assert status == 1 and err.startswith("FAIL: receipt checkpoint:")


def test_keys_can_come_from_a_file(tmp_path, capsys):
    receipt = _write(tmp_path, "entry.tlog-proof", make_receipt(build_store(ENTRIES), leaf_index=0))
    entry = _write(tmp_path, "entry.json", ENTRIES[0])
    key_file = _write(tmp_path, "keys.txt", f"# yingdu log key\n{KEY}\n")
    status, _out, err = _run(capsys, "receipt", receipt, entry, "--key", key_file)
    assert status == 0, err


@pytest.mark.parametrize(
    "key", ["not-a-key", SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(range(32))).format()]
)
def test_unusable_keys_and_missing_files_exit_2(tmp_path, capsys, key):
    entry = _write(tmp_path, "entry.json", ENTRIES[0])
    status, _out, err = _run(capsys, "receipt", entry, entry, "--key", key)
    assert status == 2 and err.startswith("yingdu-verify:")
    status, _out, _err = _run(capsys, "receipt", str(tmp_path / "missing"), entry, "--key", KEY)
    assert status == 2


def test_help_and_bad_usage_return_a_status(capsys):
    assert main(["--help"]) == 0
    assert main(["receipt"]) == 2
    capsys.readouterr()


def test_python_dash_m_runs_the_verifier(tmp_path):
    receipt = _write(tmp_path, "entry.tlog-proof", make_receipt(build_store(ENTRIES), leaf_index=5))
    good = _write(tmp_path, "good.json", ENTRIES[5])
    bad = _write(tmp_path, "bad.json", ENTRIES[6])
    command = [sys.executable, "-m", "yingdu.tlog.cli", "receipt", receipt]
    ok = subprocess.run([*command, good, "--key", KEY], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    failed = subprocess.run([*command, bad, "--key", KEY], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "FAIL: receipt inclusion proof" in failed.stderr


def _consistency_files(tmp_path, store: MemoryHashStore, old_size: int, new_size: int) -> list[str]:
    proof = prove_consistency(old_size=old_size, new_size=new_size, hashes=store)
    return [
        "--old", _write(tmp_path, "old.checkpoint", signed_checkpoint(store, tree_size=old_size)),
        "--new", _write(tmp_path, "new.checkpoint", signed_checkpoint(store, tree_size=new_size)),
        "--proof", _write(tmp_path, "proof.txt", "".join(base64.b64encode(h).decode() + "\n" for h in proof)),
        "--key", KEY,
    ]


def test_consistency_between_two_checkpoints_verifies(tmp_path, capsys):
    status, out, err = _run(capsys, "consistency", *_consistency_files(tmp_path, build_store(ENTRIES), 11, 40))
    assert status == 0, err
    assert "at tree size 40 extends tree size 11" in out


def test_consistency_with_a_forked_log_fails(tmp_path, capsys):
    honest = build_store(ENTRIES)
    forked = build_store([b"forged" if i == 3 else entry for i, entry in enumerate(ENTRIES)])
    arguments = _consistency_files(tmp_path, forked, 11, 40)
    _write(tmp_path, "old.checkpoint", signed_checkpoint(honest, tree_size=11))
    status, _out, err = _run(capsys, "consistency", *arguments)
    assert status == 1 and err.startswith("FAIL: consistency from tree size 11 to 40:")


class FakeLog:
    """An in-memory log served with the three endpoints yingdu-verify reads."""

    def __init__(self, entries: list[bytes]) -> None:
        self.entries = list(entries)
        self.store = build_store(self.entries)
        self.page_size = 7
        self.served_entries: dict[int, bytes] = {}
        self.url = ""

    def append(self, entries: list[bytes]) -> None:
        for entry in entries:
            self.entries.append(entry)
            self.store.append(entry)

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/api/v1/log/checkpoint":
            return 200, "text/plain; charset=utf-8", signed_checkpoint(self.store).encode()
        if path == "/api/v1/log/proof/consistency":
            old_size, new_size = int(query["old_size"]), int(query["new_size"])
            proof = prove_consistency(old_size=old_size, new_size=new_size, hashes=self.store)
            body = {"old_size": old_size, "new_size": new_size, "proof": [base64.b64encode(h).decode() for h in proof]}
            return 200, "application/json", json.dumps(body).encode()
        if path == "/api/v1/log/entries":
            start, end = int(query["start"]), min(int(query["end"]), len(self.entries))
            stop = min(end, start + self.page_size)
            page = [
                {"index": index, "entry": base64.b64encode(self.served_entries.get(index, self.entries[index])).decode()}
                for index in range(start, stop)
            ]
            body = {"entries": page, "next": stop if stop < end else None}
            return 200, "application/json", json.dumps(body).encode()
        return 404, "text/plain", b"not found"


@pytest.fixture
def served_log():
    log = FakeLog(ENTRIES[:25])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server expects
            url = urllib.parse.urlsplit(self.path)
            status, content_type, body = log.respond(url.path, dict(urllib.parse.parse_qsl(url.query)))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    log.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield log
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_log_is_verified_then_checked_for_consistency_through_the_state_file(served_log, tmp_path, capsys):
    state = str(tmp_path / "state.json")
    status, out, err = _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state)
    assert status == 0, err
    assert f"{LOG_ORIGIN} at tree size 25 is signed" in out
    assert json.loads(open(state, encoding="utf-8").read())["checkpoint"].startswith(f"{LOG_ORIGIN}\n25\n")

    served_log.append(ENTRIES[25:])
    status, out, err = _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state, "--full")
    assert status == 0, err
    assert "consistent with the last verified tree size 25" in out
    assert "root hash recomputed from all 40 entries" in out
    assert "entries: 40/40" in err
    assert json.loads(open(state, encoding="utf-8").read())["checkpoint"].startswith(f"{LOG_ORIGIN}\n40\n")


def test_log_with_an_edited_entry_fails_the_full_check(served_log, capsys):
    served_log.served_entries[12] = ENTRIES[12].replace(b"12", b"99")
    status, _out, err = _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--full")
    assert status == 1
    assert err.splitlines()[-1].startswith("FAIL: entries: the root hash recomputed from 25 entries does not match")


def test_log_that_rewrote_its_history_fails_consistency(served_log, tmp_path, capsys):
    state = str(tmp_path / "state.json")
    assert _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state)[0] == 0
    forked = FakeLog([b"forged" if i == 3 else entry for i, entry in enumerate(ENTRIES)])
    served_log.entries, served_log.store = forked.entries, forked.store
    status, _out, err = _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state)
    assert status == 1
    assert err.startswith("FAIL: consistency from tree size 25 to 40:")
    assert json.loads(open(state, encoding="utf-8").read())["checkpoint"].startswith(f"{LOG_ORIGIN}\n25\n")


def test_log_that_shrank_fails(served_log, tmp_path, capsys):
    state = str(tmp_path / "state.json")
    assert _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state)[0] == 0
    served_log.entries = served_log.entries[:20]
    served_log.store = build_store(served_log.entries)
    status, _out, err = _run(capsys, "log", "--url", served_log.url, "--key", KEY, "--state", state)
    assert status == 1 and "smaller than the last verified size 25" in err


def test_log_signed_by_an_unknown_key_fails(served_log, capsys):
    stranger = SignerKey.from_seed(name=LOG_ORIGIN, seed=bytes(32)).verifier_key.format()
    status, _out, err = _run(capsys, "log", "--url", served_log.url, "--key", stranger)
    assert status == 1 and err.startswith("FAIL: served checkpoint:")


def test_unreachable_log_fails(served_log, capsys):
    status, _out, err = _run(capsys, "log", "--url", served_log.url + "/nowhere", "--key", KEY)
    assert status == 1 and "HTTP 404" in err
