"""The draw's commit–reveal against a real `yingdu witness` process with its own key, state and clock: it commits to
a quarter's value at any time, refuses to reveal it before that quarter has ended by its own clock (425), and once it
has, reveals the value that opens the commitment."""

import hashlib
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from yingdu.audits.draw import Quarter, commitment_open, reveal_matches, reveal_open
from yingdu.tlog import CosignatureVerifierKey, SignerKey

LOG_KEY = SignerKey.from_seed(name="log.example/draw", seed=bytes([31]) * 32)
# A quarter that ended before any day these tests run on, and one that ends long after.
ENDED = "2000Q1"
NOT_ENDED = "2099Q4"


def yingdu(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "yingdu.cli", *arguments]


@pytest.fixture
def witness(tmp_path):
    key_file = tmp_path / "witness.key"
    generated = subprocess.run(yingdu("witness", "--key", str(key_file), "--generate-key", "finance.example/w"),
                               capture_output=True, text=True, timeout=60)
    assert generated.returncode == 0, generated.stderr
    vkey = CosignatureVerifierKey.parse(generated.stdout.strip().splitlines()[-1])
    process = subprocess.Popen(
        yingdu("witness", "--key", str(key_file), "--log-key", LOG_KEY.verifier_key.format(), "--state",
               str(tmp_path / "state.json"), "--listen", "127.0.0.1:0"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = process.stdout.readline()
        assert "listening on " in line, line
        yield line.strip().rsplit(" ", 1)[-1], vkey
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(url: str, path: str, *, origin: str = LOG_KEY.name, quarter: str) -> tuple[int, str]:
    query = urllib.parse.urlencode({"origin": origin, "quarter": quarter})
    try:
        with urllib.request.urlopen(f"{url}/w{path}?{query}", timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_witness_process_commits_any_time_and_reveals_only_after_the_quarter_end(witness):
    url, vkey = witness
    status, statement = get(url, "/draw/commitment", quarter=NOT_ENDED)
    assert status == 200
    future = commitment_open(statement, witness=vkey)
    assert future.origin == LOG_KEY.name and future.quarter == Quarter.parse(NOT_ENDED)
    status, body = get(url, "/draw/reveal", quarter=NOT_ENDED)
    assert status == 425 and "has not ended" in body

    status, statement = get(url, "/draw/commitment", quarter=ENDED)
    commitment = commitment_open(statement, witness=vkey)
    # the same commitment every time: the value is derived from the witness's key, not drawn per request
    assert get(url, "/draw/commitment", quarter=ENDED) == (200, statement)
    status, revealed = get(url, "/draw/reveal", quarter=ENDED)
    assert status == 200
    reveal = reveal_open(revealed, witness=vkey)
    reveal_matches(reveal, commitment)
    assert hashlib.sha256(reveal.value).digest() == commitment.digest != future.digest
    assert reveal.last_size == 0  # it cosigned nothing for this log before that quarter ended

    assert get(url, "/draw/reveal", origin="other.example/log", quarter=ENDED)[0] == 404
    assert get(url, "/draw/commitment", quarter="2026Q5")[0] == 400
