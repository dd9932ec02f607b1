"""A small C2SP tlog-witness: `add-checkpoint` over HTTP, cosigning (C2SP tlog-cosignature) only checkpoints
consistent with the latest one it cosigned for the same log, and the client side a log uses to submit to it.

The witness keeps its own key and its own state: a JSON file with, per log origin, the size, root hash and text of
the latest checkpoint it cosigned. Checking a submission against that state and persisting the new state happen
under one lock (a thread lock and an exclusive lock on the state file), as the spec requires. Standard library and
`cryptography` only: a second institution runs it with `yingdu witness` or `python -m yingdu.tlog.witness`.

It is also one party of the quarterly draw's commit–reveal (yingdu.audits.draw): `GET <prefix>/draw/commitment?
origin=O&quarter=2026Q4` answers its signed commitment to a per-quarter value at any time; `GET <prefix>/draw/reveal?
…` answers the value, with the last checkpoint it cosigned before the quarter end, only once its own clock is past
that end (425 Too Early before). For that it remembers, per log and quarter, the last checkpoint it cosigned.
"""

import argparse
import base64
import binascii
import fcntl
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from yingdu.audits.draw import DrawError, Quarter, commitment_statement, reveal_statement
from yingdu.tlog._text import parse_decimal
from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.cosignature import CosignerKey, cosign_checkpoint
from yingdu.tlog.errors import NoteError, ProofError
from yingdu.tlog.hashing import EMPTY_ROOT_HASH, HASH_SIZE
from yingdu.tlog.keys import VerifierKey
from yingdu.tlog.note import open_note, split_note
from yingdu.tlog.proofs import verify_consistency

ADD_CHECKPOINT_PATH = "/add-checkpoint"
COMMITMENT_PATH = "/draw/commitment"
REVEAL_PATH = "/draw/reveal"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 1 << 20


@dataclass(frozen=True)
class WitnessResponse:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _error(status: int, message: str) -> WitnessResponse:
    return WitnessResponse(status=status, body=message.rstrip("\n") + "\n")


def parse_add_checkpoint(body: str) -> tuple[int, list[bytes], str]:
    """Split an add-checkpoint request body into old size, consistency proof and signed checkpoint; ValueError."""
    header, separator, signed_note = body.partition("\n\n")
    if not separator:
        raise ValueError("request has no empty line before the checkpoint")
    lines = header.split("\n")
    if not lines[0].startswith("old "):
        raise ValueError("request does not start with an old size line")
    old_size = parse_decimal(lines[0].removeprefix("old "), error=ValueError, what="old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise ValueError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise ValueError("a consistency proof line is not base64") from None
        if len(value) != HASH_SIZE:
            raise ValueError("a consistency proof line is not a 32-byte hash")
        proof.append(value)
    return old_size, proof, signed_note


def format_add_checkpoint(*, old_size: int, proof: Sequence[bytes], signed_note: str) -> str:
    """The add-checkpoint request body (C2SP tlog-witness)."""
    lines = [f"old {old_size}", *(base64.b64encode(value).decode("ascii") for value in proof)]
    return "\n".join(lines) + "\n\n" + signed_note


class Witness:
    """The witness's decision on each add-checkpoint request, with its state persisted in a JSON file."""

    def __init__(self, *, cosigner_key: CosignerKey, log_keys: Iterable[VerifierKey], state_path: Path,
                 clock: Callable[[], float] = time.time):
        self.cosigner_key = cosigner_key
        self.log_keys: dict[str, list[VerifierKey]] = {}
        for key in log_keys:
            # A log's origin line is its signing key's name (C2SP tlog-checkpoint, signed-note).
            self.log_keys.setdefault(key.name, []).append(key)
        self.state_path = Path(state_path)
        self.clock = clock
        self._lock = threading.Lock()

    def latest(self, origin: str) -> dict | None:
        return self._read_state().get(origin)

    def add_checkpoint(self, body: str) -> WitnessResponse:
        try:
            old_size, proof, signed_note = parse_add_checkpoint(body)
            text, _signatures = split_note(signed_note)
            checkpoint = Checkpoint.parse(text)
        except (ValueError, NoteError) as error:
            return _error(400, f"bad request: {error}")
        keys = self.log_keys.get(checkpoint.origin)
        if keys is None:
            return _error(404, f"unknown log {checkpoint.origin}")
        try:
            open_note(signed_note, verifier_keys=keys)
        except NoteError as error:
            return _error(403, f"checkpoint is not signed by the log's key: {error}")
        if old_size > checkpoint.tree_size:
            return _error(400, f"old size {old_size} is larger than the checkpoint size {checkpoint.tree_size}")
        with self._lock, self._locked_state() as (state, save):
            latest = state.get(checkpoint.origin)
            latest_size = latest["size"] if latest else 0
            if old_size != latest_size:
                return WitnessResponse(status=409, body=f"{latest_size}\n", content_type=SIZE_CONTENT_TYPE)
            if latest is not None:
                latest_root = base64.b64decode(latest["root"])
                if old_size == checkpoint.tree_size:
                    if latest_root != checkpoint.root_hash:
                        return WitnessResponse(status=409, body=f"{latest_size}\n", content_type=SIZE_CONTENT_TYPE)
                else:
                    try:
                        verify_consistency(old_size=old_size, new_size=checkpoint.tree_size, proof=proof,
                                           old_root=latest_root, new_root=checkpoint.root_hash)
                    except ProofError as error:
                        return _error(422, f"consistency proof from {old_size} does not verify: {error}")
            elif proof:
                return _error(422, "the consistency proof from size 0 must be empty")
            timestamp = int(self.clock())
            cosignature = cosign_checkpoint(text=text, cosigner_key=self.cosigner_key, timestamp=timestamp)
            root = base64.b64encode(checkpoint.root_hash).decode("ascii")
            # the last checkpoint cosigned in each quarter (Asia/Shanghai), for the draw's reveal
            quarters = dict((latest or {}).get("quarters", {}))
            quarters[str(Quarter.of_timestamp(timestamp))] = {"size": checkpoint.tree_size, "root": root}
            state[checkpoint.origin] = {
                "size": checkpoint.tree_size,
                "root": root,
                "checkpoint": signed_note,
                "quarters": quarters,
            }
            save(state)
        return WitnessResponse(status=200, body=cosignature.format())

    def _draw_request(self, query: str) -> tuple[str, Quarter] | WitnessResponse:
        parameters = urllib.parse.parse_qs(query)
        origin = (parameters.get("origin") or [""])[0]
        try:
            quarter = Quarter.parse((parameters.get("quarter") or [""])[0])
        except DrawError as error:
            return _error(400, f"bad request: {error}")
        if origin not in self.log_keys:
            return _error(404, f"unknown log {origin}")
        return origin, quarter

    def draw_commitment(self, query: str) -> WitnessResponse:
        """The signed commitment to this witness's value for a log and quarter (any time)."""
        request = self._draw_request(query)
        if isinstance(request, WitnessResponse):
            return request
        origin, quarter = request
        return WitnessResponse(status=200, body=commitment_statement(cosigner_key=self.cosigner_key, origin=origin,
                                                                     quarter=quarter))

    def draw_reveal(self, query: str) -> WitnessResponse:
        """The value for a log and quarter, only after the quarter end by this witness's clock (425 before)."""
        request = self._draw_request(query)
        if isinstance(request, WitnessResponse):
            return request
        origin, quarter = request
        now = int(self.clock())
        if now < quarter.end_timestamp:
            return _error(425, f"{quarter} has not ended: the value is revealed from {quarter.end_timestamp} on")
        recorded = (self.latest(origin) or {}).get("quarters", {})
        ended = [key for key in recorded if key <= str(quarter)]
        last = recorded[max(ended)] if ended else {"size": 0, "root": base64.b64encode(EMPTY_ROOT_HASH).decode()}
        return WitnessResponse(status=200, body=reveal_statement(
            cosigner_key=self.cosigner_key, origin=origin, quarter=quarter, last_size=last["size"],
            last_root=base64.b64decode(last["root"]), revealed_at=now))

    def _read_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def _locked_state(self):
        witness = self

        class _Locked:
            def __enter__(self):
                witness.state_path.parent.mkdir(parents=True, exist_ok=True)
                self.lock_file = open(str(witness.state_path) + ".lock", "a")  # noqa: SIM115
                fcntl.flock(self.lock_file, fcntl.LOCK_EX)
                return witness._read_state(), witness._save_state

            def __exit__(self, *exc_info):
                fcntl.flock(self.lock_file, fcntl.LOCK_UN)
                self.lock_file.close()
                return False

        return _Locked()

    def _save_state(self, state: dict) -> None:
        directory = self.state_path.parent
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".witness-state-")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(state, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.state_path)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise


def make_server(witness: Witness, *, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering POST <prefix>/add-checkpoint (any prefix) for the witness."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "yingdu-witness"

        def do_POST(self):  # noqa: N802 (http.server naming)
            if not self.path.split("?")[0].endswith(ADD_CHECKPOINT_PATH):
                return self._send(_error(404, "not found"))
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self._send(_error(411, "Content-Length required"))
            if not 0 <= length <= MAX_REQUEST_BYTES:
                return self._send(_error(413, "request too large"))
            try:
                body = self.rfile.read(length).decode("utf-8")
            except UnicodeDecodeError:
                return self._send(_error(400, "request is not UTF-8"))
            return self._send(witness.add_checkpoint(body))

        def do_GET(self):  # noqa: N802
            path, _, query = self.path.partition("?")
            if path.endswith(COMMITMENT_PATH):
                return self._send(witness.draw_commitment(query))
            if path.endswith(REVEAL_PATH):
                return self._send(witness.draw_reveal(query))
            if self.path == "/healthz":
                return self._send(WitnessResponse(status=200, body=witness.cosigner_key.verifier_key.format() + "\n"))
            return self._send(_error(404, "not found"))

        def _send(self, response: WitnessResponse):
            data = response.body.encode("utf-8")
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002
            sys.stderr.write(f"yingdu-witness: {self.address_string()} {format % args}\n")

    return ThreadingHTTPServer((host, port), Handler)


@dataclass(frozen=True)
class SubmissionResult:
    status: int
    body: str
    content_type: str


def submit_checkpoint(*, url: str, body: str, timeout: float) -> SubmissionResult:
    """POST an add-checkpoint body to a witness's submission prefix and return its status and answer."""
    request = urllib.request.Request(url.rstrip("/") + ADD_CHECKPOINT_PATH, data=body.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "text/plain; charset=utf-8",
                                              "User-Agent": "yingdu-log"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return SubmissionResult(status=response.status, body=response.read(MAX_REQUEST_BYTES).decode("utf-8"),
                                    content_type=response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as error:
        return SubmissionResult(status=error.code, body=error.read(MAX_REQUEST_BYTES).decode("utf-8", "replace"),
                                content_type=error.headers.get("Content-Type", ""))


def fetch_draw_statement(*, url: str, path: str, origin: str, quarter: str, timeout: float) -> SubmissionResult:
    """GET a witness's draw commitment (COMMITMENT_PATH) or reveal (REVEAL_PATH) for a log and quarter."""
    query = urllib.parse.urlencode({"origin": origin, "quarter": quarter})
    request = urllib.request.Request(f"{url.rstrip('/')}{path}?{query}", headers={"User-Agent": "yingdu-log"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return SubmissionResult(status=response.status, body=response.read(MAX_REQUEST_BYTES).decode("utf-8"),
                                    content_type=response.headers.get("Content-Type", ""))
    except urllib.error.HTTPError as error:
        return SubmissionResult(status=error.code, body=error.read(MAX_REQUEST_BYTES).decode("utf-8", "replace"),
                                content_type=error.headers.get("Content-Type", ""))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, metavar="FILE", help="the witness's private cosigner key file")
    parser.add_argument("--generate-key", metavar="NAME",
                        help="create a new cosigner key named NAME in --key, print its verifier key and stop")
    parser.add_argument("--log-key", action="append", default=[], metavar="VKEY",
                        help="a log's verifier key (its name is the log's origin), or a file of them; repeatable")
    parser.add_argument("--state", metavar="FILE", help="JSON state file (latest cosigned checkpoint per log)")
    parser.add_argument("--listen", default="127.0.0.1:8380", metavar="HOST:PORT", help="address to listen on")


def run(options: dict, *, out=None) -> int:
    out = out or sys.stdout
    key_path = Path(options["key"])
    if options.get("generate_key"):
        key = CosignerKey.generate(name=options["generate_key"])
        try:
            descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            print(f"yingdu witness: {key_path} exists; refusing to overwrite a key", file=sys.stderr)
            return 2
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key.format() + "\n")
        print(key.verifier_key.format(), file=out, flush=True)
        return 0
    if not options.get("state") or not options.get("log_key"):
        print("yingdu witness: --state and at least one --log-key are needed to serve", file=sys.stderr)
        return 2
    cosigner_key = CosignerKey.parse(key_path.read_text())
    log_keys = []
    for value in options["log_key"]:
        path = Path(value)
        texts = path.read_text().splitlines() if path.is_file() else [value]
        log_keys.extend(VerifierKey.parse(text) for text in texts if text.strip() and not text.startswith("#"))
    host, _, port = options["listen"].rpartition(":")
    witness = Witness(cosigner_key=cosigner_key, log_keys=log_keys, state_path=Path(options["state"]))
    server = make_server(witness, host=host or "127.0.0.1", port=int(port))
    print(f"witness {cosigner_key.verifier_key.format()} listening on http://{host}:{server.server_port}",
          file=out, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="yingdu witness", description="A C2SP tlog-witness for a yingdu log.")
    add_arguments(parser)
    return run(vars(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
