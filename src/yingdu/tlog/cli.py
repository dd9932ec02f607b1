"""yingdu-verify: check receipts, consistency proofs and a whole log against trusted verifier keys.

Needs only the standard library, `cryptography`, yingdu.tlog and the pure yingdu.audits.draw, so an
outside auditor can run it as `yingdu-verify ...` or `python -m yingdu.tlog.cli ...`. Exit status: 0
when everything verified, 1 when something failed to verify or could not be fetched, 2 when the
command line or an input file is unusable.
"""

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from yingdu.audits.draw import DrawError, draw_verify
from yingdu.tlog._text import decode_base64
from yingdu.tlog.checkpoint import Checkpoint
from yingdu.tlog.errors import NoteError, ProofError, ReceiptError
from yingdu.tlog.hashing import HASH_SIZE, leaf_hash
from yingdu.tlog.keys import SIGNER_KEY_PREFIX
from yingdu.tlog.note import split_note
from yingdu.tlog.policy import LogKey, TrustPolicy
from yingdu.tlog.proofs import verify_consistency, verify_inclusion
from yingdu.tlog.receipt import Receipt
from yingdu.tlog.storage import MemoryHashStore

EXIT_VERIFIED = 0
EXIT_FAILED = 1
EXIT_UNUSABLE_INPUT = 2

HTTP_TIMEOUT_SECONDS = 30
MAX_RESPONSE_BYTES = 64 << 20
PROGRESS_INTERVAL_SECONDS = 1.0

CHECKPOINT_PATH = "/api/v1/log/checkpoint"
WITNESSED_CHECKPOINT_PATH = "/api/v1/log/checkpoint/witnessed"
CONSISTENCY_PROOF_PATH = "/api/v1/log/proof/consistency"
ENTRIES_PATH = "/api/v1/log/entries"


class VerificationFailed(Exception):
    """Something did not verify, or could not be fetched to be verified."""


class UnusableInput(Exception):
    """An argument or input file cannot be used."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run yingdu-verify and return its exit status."""
    parser = _build_parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_request:
        return exit_request.code if isinstance(exit_request.code, int) else EXIT_UNUSABLE_INPUT
    try:
        message = arguments.run(arguments)
    except UnusableInput as problem:
        _print_line(f"yingdu-verify: {problem}", file=sys.stderr)
        return EXIT_UNUSABLE_INPUT
    except VerificationFailed as failure:
        _print_line(f"FAIL: {failure}", file=sys.stderr)
        return EXIT_FAILED
    _print_line(f"OK: {message}", file=sys.stdout)
    return EXIT_VERIFIED


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yingdu-verify",
        description="Verify yingdu transparency-log receipts, checkpoints and proofs.",
        epilog="Exit status: 0 all verified, 1 verification failed, 2 unusable input.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    key_help = ("trusted verifier key (name+keyid+base64, optionally followed by first=N last=N, the tree sizes it "
                "may sign), or a file of such keys one per line; repeatable; needed unless --witness-policy names "
                "the log's keys")
    origin_help = "require this checkpoint origin"

    receipt = commands.add_parser("receipt", help="verify a receipt (C2SP tlog-proof) for an entry file")
    receipt.add_argument("receipt_file", metavar="RECEIPT_FILE")
    receipt.add_argument("entry_file", metavar="ENTRY_FILE", help="the exact bytes of the logged entry")
    receipt.add_argument("--key", action="append", default=[], help=key_help)
    receipt.add_argument("--origin", help=origin_help)
    _add_trust_arguments(receipt, state=True)
    receipt.set_defaults(run=_run_receipt)

    consistency = commands.add_parser("consistency", help="verify that one checkpoint extends another")
    consistency.add_argument("--old", required=True, metavar="CHECKPOINT", help="older signed checkpoint file")
    consistency.add_argument("--new", required=True, metavar="CHECKPOINT", help="newer signed checkpoint file")
    consistency.add_argument(
        "--proof", required=True, metavar="FILE", help="consistency proof, one base64 hash per line"
    )
    consistency.add_argument("--key", action="append", default=[], help=key_help)
    consistency.add_argument("--origin", help=origin_help)
    _add_trust_arguments(consistency, state=False)
    consistency.set_defaults(run=_run_consistency)

    log = commands.add_parser("log", help="verify a live log's checkpoint, its consistency and optionally every entry")
    log.add_argument("--url", required=True, help="base URL of the platform, e.g. https://example.org")
    log.add_argument("--key", action="append", default=[], help=key_help)
    _add_trust_arguments(log, state=False)
    log.add_argument("--state", metavar="FILE", help="JSON file keeping the last verified checkpoint")
    log.add_argument("--full", action="store_true", help="download every entry and recompute the root hash")
    log.add_argument("--origin", help=origin_help)
    log.set_defaults(run=_run_log)

    draw = commands.add_parser("draw", help="recompute a published quarterly spot-check draw")
    draw.add_argument("draw_file", metavar="FILE", help="the published draw JSON (/api/v1/audits/draws/QUARTER)")
    draw.add_argument("--key", action="append", default=[], help=key_help)
    draw.add_argument("--origin", help=origin_help)
    _add_trust_arguments(draw, state=True)
    draw.set_defaults(run=_run_draw)
    return parser


def _add_trust_arguments(command: argparse.ArgumentParser, *, state: bool) -> None:
    command.add_argument("--witness-policy", metavar="FILE",
                         help="trust policy file (log keys with their validity, witnesses, quorum), distributed out "
                              "of band: refuse any checkpoint not signed by a valid log key and cosigned by the quorum")
    command.add_argument("--rotation", action="append", default=[], metavar="FILE",
                         help="a key rotation statement signed by a trusted log key; repeatable, applied in order")
    if state:
        command.add_argument("--state", metavar="FILE",
                             help="JSON file keeping the last verified checkpoint: refuse a checkpoint that does not "
                                  "extend it (or is not extended by it), then keep the larger one")
        command.add_argument("--url", help="base URL of the platform, to fetch consistency proofs for --state")


def _run_receipt(arguments: argparse.Namespace) -> str:
    policy = _load_policy(arguments)
    receipt_text = _read_text(arguments.receipt_file, what="receipt file")
    entry = _read_bytes(arguments.entry_file, what="entry file")
    try:
        receipt = Receipt.parse(receipt_text)
    except ReceiptError as error:
        raise VerificationFailed(f"receipt: {error}") from None
    checkpoint = _verified_checkpoint(receipt.signed_checkpoint, policy, what="receipt checkpoint",
                                      origin=arguments.origin)
    try:
        verify_inclusion(leaf_hash=leaf_hash(entry), leaf_index=receipt.leaf_index, tree_size=checkpoint.tree_size,
                         proof=receipt.inclusion_proof, root_hash=checkpoint.root_hash)
    except ProofError as error:
        raise VerificationFailed(f"receipt inclusion proof: {error}") from None
    report = (
        f"entry {receipt.leaf_index} (leaf hash {leaf_hash(entry).hex()}) is included in "
        f"{checkpoint.origin} at tree size {checkpoint.tree_size}"
    )
    return report + _check_state(arguments, policy, receipt.signed_checkpoint, checkpoint)


def _check_state(arguments: argparse.Namespace, policy: TrustPolicy, signed_checkpoint: str,
                 checkpoint: Checkpoint) -> str:
    """With --state, check that the checkpoint and the one kept there are consistent, then keep the larger one."""
    if not arguments.state:
        return ""
    state_path = Path(arguments.state)
    if not state_path.exists():
        _print_line(f"note: {state_path} does not exist yet; starting from this checkpoint", file=sys.stderr)
        _save_state(state_path, signed_checkpoint)
        return ""
    previous = _verified_checkpoint(_load_state(state_path), policy, what="checkpoint in the state file",
                                    origin=arguments.origin)
    if previous.origin != checkpoint.origin:
        raise VerificationFailed(f"checkpoint is for log {checkpoint.origin!r}, the state file for {previous.origin!r}")
    if previous.tree_size == checkpoint.tree_size:
        if previous.root_hash != checkpoint.root_hash:
            raise VerificationFailed(f"the checkpoint and the state file disagree on the root hash at tree size "
                                     f"{checkpoint.tree_size}: the log has forked")
        return ", the same tree as the state file"
    if not arguments.url:
        raise UnusableInput(f"the checkpoint (tree size {checkpoint.tree_size}) and the state file (tree size "
                            f"{previous.tree_size}) differ in size: give --url to fetch a consistency proof")
    older, newer = sorted([previous, checkpoint], key=lambda c: c.tree_size)
    _check_log_consistency(_base_url(arguments.url), older, newer)
    if checkpoint.tree_size > previous.tree_size:
        _save_state(state_path, signed_checkpoint)
    return f", consistent with the state file's tree size {previous.tree_size}"


def _base_url(url: str) -> str:
    base_url = url.rstrip("/")
    if urllib.parse.urlsplit(base_url).scheme not in ("http", "https"):
        raise UnusableInput(f"--url must be an http or https URL, not {url!r}")
    return base_url


def _run_consistency(arguments: argparse.Namespace) -> str:
    keys = _load_policy(arguments)
    old = _verified_checkpoint(
        _read_text(arguments.old, what="old checkpoint file"), keys, what="old checkpoint", origin=arguments.origin
    )
    new = _verified_checkpoint(
        _read_text(arguments.new, what="new checkpoint file"), keys, what="new checkpoint", origin=arguments.origin
    )
    if old.origin != new.origin:
        raise VerificationFailed(f"checkpoints are from different logs: {old.origin!r} and {new.origin!r}")
    proof_lines = [line.strip() for line in _read_text(arguments.proof, what="proof file").splitlines()]
    proof = [_decode_hash(line, what="consistency proof") for line in proof_lines if line]
    _verify_consistency(old, new, proof)
    return f"{old.origin} at tree size {new.tree_size} extends tree size {old.tree_size}"


def _run_log(arguments: argparse.Namespace) -> str:
    keys = _load_policy(arguments)
    base_url = _base_url(arguments.url)
    state_path = Path(arguments.state) if arguments.state else None

    # With a witness quorum to meet, read the latest checkpoint the log says is witnessed (and check that it is).
    checkpoint_path = WITNESSED_CHECKPOINT_PATH if keys.quorum else CHECKPOINT_PATH
    try:
        signed_checkpoint = _http_get(base_url + checkpoint_path, what="checkpoint").decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationFailed("checkpoint: the served checkpoint is not UTF-8 text") from None
    checkpoint = _verified_checkpoint(signed_checkpoint, keys, what="served checkpoint", origin=arguments.origin)
    report = [f"{checkpoint.origin} at tree size {checkpoint.tree_size} is signed"]
    if keys.quorum:
        report.append(f"cosigned by at least {keys.quorum} of {len(keys.witnesses)} witnesses")

    if state_path is not None and state_path.exists():
        previous = _verified_checkpoint(
            _load_state(state_path), keys, what="checkpoint in the state file", origin=arguments.origin
        )
        if previous.origin != checkpoint.origin:
            raise VerificationFailed(
                f"served checkpoint is for log {checkpoint.origin!r}, the state file for {previous.origin!r}"
            )
        _check_log_consistency(base_url, previous, checkpoint)
        report.append(f"consistent with the last verified tree size {previous.tree_size}")
    elif state_path is not None:
        _print_line(f"note: {state_path} does not exist yet; starting from this checkpoint", file=sys.stderr)

    if arguments.full:
        _recompute_root(base_url, checkpoint)
        report.append(f"root hash recomputed from all {checkpoint.tree_size} entries")

    if state_path is not None:
        _save_state(state_path, signed_checkpoint)
    return ", ".join(report)


def _run_draw(arguments: argparse.Namespace) -> str:
    policy = _load_policy(arguments)
    try:
        document = json.loads(_read_text(arguments.draw_file, what="draw file"))
    except json.JSONDecodeError:
        raise UnusableInput(f"draw file {arguments.draw_file} is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("checkpoint"), str):
        raise VerificationFailed("draw: published draw has no 'checkpoint' text")
    ungrindable = document.get("ungrindable") is True
    if policy.quorum and not ungrindable:
        raise VerificationFailed(f"draw: the draw of {document.get('quarter')} is NOT ungrindable (its seed has no "
                                 f"witness values) and the witness policy requires a quorum of {policy.quorum}")
    # A witnessed draw's checkpoint carries the cosignatures made before the quarter end; an older draw's is served
    # again with the cosignatures received so far.
    signed_checkpoint = document["checkpoint"]
    if policy.quorum and not ungrindable:
        cosigned = document.get("checkpoint_cosigned")
        if not isinstance(cosigned, str):
            raise VerificationFailed("draw: the published draw carries no cosigned checkpoint")
        try:
            same_text = split_note(cosigned)[0] == split_note(signed_checkpoint)[0]
        except NoteError as error:
            raise VerificationFailed(f"draw checkpoint: {error}") from None
        if not same_text:
            raise VerificationFailed("draw: the cosigned checkpoint is not the draw's checkpoint")
        signed_checkpoint = cosigned
    checkpoint = _verified_checkpoint(signed_checkpoint, policy, what="draw checkpoint", origin=arguments.origin)
    try:
        verified = draw_verify(document, verifier_keys=[log_key.key for log_key in policy.log_keys],
                               origin=arguments.origin, witnesses=policy.witnesses if policy.quorum else None,
                               quorum=policy.quorum)
    except DrawError as error:
        raise VerificationFailed(f"draw: {error}") from None
    report = (
        f"draw {verified.quarter}: {len(verified.chosen)} of {verified.candidate_count} candidates chosen, "
        f"recomputed from the checkpoint of {verified.checkpoint.origin} at tree size {verified.checkpoint.tree_size}"
    )
    if verified.ungrindable:
        report += (f"; ungrindable: seed from the values of {', '.join(verified.revealed)}, committed in that "
                   f"checkpoint and revealed after the quarter end")
        if verified.withheld:
            report += f"; WITHHELD by {len(verified.withheld)} committed witnesses: " + ", ".join(
                key.split("+")[0] for key in verified.withheld)
        if not policy.quorum:
            report += " (witnesses named by the draw itself; pin them with --witness-policy)"
    else:
        report += "; NOT ungrindable: the seed is the checkpoint's root alone, which the operator could choose"
    return report + _check_state(arguments, policy, signed_checkpoint, checkpoint)


def _check_log_consistency(base_url: str, previous: Checkpoint, checkpoint: Checkpoint) -> None:
    if previous.tree_size > checkpoint.tree_size:
        raise VerificationFailed(
            f"served tree size {checkpoint.tree_size} is smaller than the last verified size {previous.tree_size}"
        )
    proof: list[bytes] = []
    if 0 < previous.tree_size < checkpoint.tree_size:
        query = urllib.parse.urlencode({"old_size": previous.tree_size, "new_size": checkpoint.tree_size})
        response = _http_get_json(f"{base_url}{CONSISTENCY_PROOF_PATH}?{query}", what="consistency proof")
        if response.get("old_size") != previous.tree_size or response.get("new_size") != checkpoint.tree_size:
            raise VerificationFailed("consistency proof: server answered for other tree sizes than asked")
        encoded_proof = response.get("proof")
        if not isinstance(encoded_proof, list) or not all(isinstance(item, str) for item in encoded_proof):
            raise VerificationFailed("consistency proof: 'proof' is not a list of base64 strings")
        proof = [_decode_hash(item, what="consistency proof") for item in encoded_proof]
    _verify_consistency(previous, checkpoint, proof)


def _verify_consistency(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    try:
        verify_consistency(
            old_size=old.tree_size,
            new_size=new.tree_size,
            proof=proof,
            old_root=old.root_hash,
            new_root=new.root_hash,
        )
    except ProofError as error:
        raise VerificationFailed(
            f"consistency from tree size {old.tree_size} to {new.tree_size}: {error}"
        ) from None


def _recompute_root(base_url: str, checkpoint: Checkpoint) -> None:
    """Download entries [0, tree_size) page by page and recompute the root hash (RFC 9162 §2.1.1)."""
    tree_size = checkpoint.tree_size
    store = MemoryHashStore(keep_all_hashes=False)
    last_progress_at = time.monotonic()
    while store.tree_size < tree_size:
        start = store.tree_size
        query = urllib.parse.urlencode({"start": start, "end": tree_size})
        page = _http_get_json(f"{base_url}{ENTRIES_PATH}?{query}", what="entries")
        entries = page.get("entries")
        if not isinstance(entries, list):
            raise VerificationFailed("entries: response has no 'entries' list")
        leaf_hashes = []
        for item in entries:
            expected_index = start + len(leaf_hashes)
            if expected_index == tree_size:
                break
            index = item.get("index") if isinstance(item, dict) else None
            if type(index) is not int or index != expected_index:
                raise VerificationFailed(f"entries: expected entry {expected_index}, the server sent {index!r}")
            encoded = item.get("entry")
            if not isinstance(encoded, str):
                raise VerificationFailed(f"entries: entry {index} has no base64 'entry'")
            try:
                entry = decode_base64(encoded, error=ValueError, what=f"entry {index}")
            except ValueError as error:
                raise VerificationFailed(f"entries: {error}") from None
            leaf_hashes.append(leaf_hash(entry))
        if not leaf_hashes:
            raise VerificationFailed(f"entries: the server returned no entry from index {start} of {tree_size}")
        store.append_leaf_hashes(leaf_hashes)
        now = time.monotonic()
        if now - last_progress_at >= PROGRESS_INTERVAL_SECONDS or store.tree_size == tree_size:
            _print_line(f"entries: {store.tree_size}/{tree_size}", file=sys.stderr)
            last_progress_at = now
        if page.get("next") is None and store.tree_size < tree_size:
            raise VerificationFailed(
                f"entries: the server reported no more entries after {store.tree_size} of {tree_size}"
            )
    if store.root_hash() != checkpoint.root_hash:
        raise VerificationFailed(
            f"entries: the root hash recomputed from {tree_size} entries does not match the checkpoint"
        )


def _verified_checkpoint(
    signed_checkpoint: str, policy: TrustPolicy, *, what: str, origin: str | None
) -> Checkpoint:
    try:
        return policy.verify_checkpoint(signed_checkpoint, origin=origin)
    except NoteError as error:
        raise VerificationFailed(f"{what}: {error}") from None


def _load_policy(arguments: argparse.Namespace) -> TrustPolicy:
    """The trust policy file (if any), the --key keys added to it, then the rotation statements applied."""
    policy = TrustPolicy(log_keys=())
    if arguments.witness_policy:
        try:
            policy = TrustPolicy.parse(_read_text(arguments.witness_policy, what="witness policy file"))
        except NoteError as error:
            raise UnusableInput(f"--witness-policy {arguments.witness_policy}: {error}") from None
    policy = policy.with_log_keys(_load_keys(arguments.key))
    if not policy.log_keys:
        raise UnusableInput("no log verifier key: give --key, or a --witness-policy file with 'log' lines")
    statements = [_read_text(path, what="rotation statement") for path in arguments.rotation]
    try:
        return policy.with_rotations(statements)
    except NoteError as error:
        raise VerificationFailed(f"rotation statement: {error}") from None


def _load_keys(values: Sequence[str]) -> list[LogKey]:
    keys = []
    for value in values:
        path = Path(value)
        if path.is_file():
            lines = _read_text(value, what="key file").splitlines()
            texts = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
            if not texts:
                raise UnusableInput(f"key file {value} holds no key")
        else:
            texts = [value.strip()]
        for text in texts:
            if text.startswith(SIGNER_KEY_PREFIX):
                raise UnusableInput("--key was given a private signer key; give the public verifier key")
            try:
                keys.append(LogKey.parse(text))
            except NoteError as error:
                raise UnusableInput(f"--key {value}: {error}") from None
    return keys


def _read_bytes(path: str, *, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UnusableInput(f"cannot read {what} {path}: {error.strerror or error}") from None


def _read_text(path: str, *, what: str) -> str:
    # Read bytes and decode, rather than read_text, so that no newline translation alters signed text.
    try:
        return _read_bytes(path, what=what).decode("utf-8")
    except UnicodeDecodeError:
        raise UnusableInput(f"{what} {path} is not UTF-8 text") from None


def _decode_hash(text: str, *, what: str) -> bytes:
    try:
        value = decode_base64(text, error=ValueError, what=f"{what} hash")
    except ValueError as error:
        raise VerificationFailed(str(error)) from None
    if len(value) != HASH_SIZE:
        raise VerificationFailed(f"{what} hash is {len(value)} bytes, not {HASH_SIZE}")
    return value


def _http_get(url: str, *, what: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "yingdu-verify"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise VerificationFailed(f"{what}: {url} answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise VerificationFailed(f"{what}: cannot fetch {url}: {reason}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise VerificationFailed(f"{what}: response from {url} is larger than {MAX_RESPONSE_BYTES} bytes")
    return body


def _http_get_json(url: str, *, what: str) -> dict:
    try:
        value = json.loads(_http_get(url, what=what))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise VerificationFailed(f"{what}: response from {url} is not JSON") from None
    if not isinstance(value, dict):
        raise VerificationFailed(f"{what}: response from {url} is not a JSON object")
    return value


def _load_state(path: Path) -> str:
    try:
        state = json.loads(_read_text(str(path), what="state file"))
    except json.JSONDecodeError:
        raise UnusableInput(f"state file {path} is not JSON") from None
    if not isinstance(state, dict) or not isinstance(state.get("checkpoint"), str):
        raise UnusableInput(f"state file {path} has no 'checkpoint' text")
    return state["checkpoint"]


def _save_state(path: Path, signed_checkpoint: str) -> None:
    # Write a temporary file and rename it over the state, so an interrupted run keeps the old state.
    content = json.dumps({"checkpoint": signed_checkpoint}, ensure_ascii=False, indent=2) + "\n"
    directory = path.parent if str(path.parent) else Path(".")
    temporary_name = None
    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=directory, delete=False) as temporary:
            temporary_name = temporary.name
            temporary.write(content)
        os.replace(temporary_name, path)
    except OSError as error:
        if temporary_name is not None and os.path.exists(temporary_name):
            os.unlink(temporary_name)
        raise UnusableInput(f"cannot write state file {path}: {error.strerror or error}") from None


def _print_line(message: str, *, file: TextIO) -> None:
    print(" ".join(message.splitlines()), file=file, flush=True)


if __name__ == "__main__":
    sys.exit(main())
