"""The deployment's checkpoint signing key and the verifier keys it publishes (C2SP signed-note key text)."""

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from yingdu.tlog import CosignatureVerifierKey, NoteError, SignerKey, VerifierKey
from yingdu.tlog.policy import LogKey

logger = logging.getLogger(__name__)


def log_origin() -> str:
    """The checkpoint origin line, which is also the signing key's name."""
    return settings.LOG_ORIGIN


@functools.cache
def signing_key() -> SignerKey:
    """The newest key, which signs; loaded from YINGDU_LOG_SIGNING_KEY, generated once in development."""
    path = settings.LOG_SIGNING_KEY_PATH
    if not path.exists():
        if not settings.DEVELOPMENT:
            raise ImproperlyConfigured(f"the log signing key file {path} does not exist (YINGDU_LOG_SIGNING_KEY)")
        key = SignerKey.generate(name=log_origin())
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created with owner-only permissions before the secret is written.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key.format() + "\n")
        logger.warning("generated a development log signing key at %s", path)
    return SignerKey.parse(path.read_text().strip())


def log_keys() -> list[LogKey]:
    """Every key a checkpoint of this log may carry, with the tree sizes it may sign: the signing key first (from
    LOG_SIGNING_KEY_FIRST_SIZE on), then older ones ("<vkey> first=N last=N" in LOG_PREVIOUS_VERIFIER_KEYS)."""
    keys = [LogKey(key=signing_key().verifier_key, first_size=settings.LOG_SIGNING_KEY_FIRST_SIZE)]
    for text in settings.LOG_PREVIOUS_VERIFIER_KEYS:
        try:
            key = LogKey.parse(text)
        except NoteError as error:
            raise ImproperlyConfigured(f"YINGDU_LOG_PREVIOUS_VERIFIER_KEYS: {error}") from None
        if all(key.key != known.key for known in keys):
            keys.append(key)
    return keys


def verifier_keys() -> list[VerifierKey]:
    """The verifier keys of log_keys(), without their validity ranges."""
    return [log_key.key for log_key in log_keys()]


def key_rotation_statements() -> list[str]:
    """The key rotation statements (signed by the old key) in the files named by LOG_KEY_ROTATIONS, in order."""
    statements = []
    for path in settings.LOG_KEY_ROTATIONS:
        try:
            statements.append(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ImproperlyConfigured(f"YINGDU_LOG_KEY_ROTATIONS: cannot read {path}: {error}") from None
    return statements


@dataclass(frozen=True)
class ConfiguredWitness:
    url: str
    key: CosignatureVerifierKey


def configured_witnesses() -> list[ConfiguredWitness]:
    """The witnesses the log submits checkpoints to (LOG_WITNESSES: "<URL prefix> <cosignature vkey>" items)."""
    witnesses = []
    for item in settings.LOG_WITNESSES:
        url, _, key_text = item.partition(" ")
        if not url.startswith(("http://", "https://")) or not key_text.strip():
            raise ImproperlyConfigured(f"YINGDU_LOG_WITNESSES: {item!r} is not '<http(s) URL> <witness vkey>'")
        try:
            key = CosignatureVerifierKey.parse(key_text.strip())
        except NoteError as error:
            raise ImproperlyConfigured(f"YINGDU_LOG_WITNESSES: {error}") from None
        witnesses.append(ConfiguredWitness(url=url, key=key))
    return witnesses


def witness_quorum() -> int:
    """How many distinct configured witnesses must cosign a checkpoint for it to count as witnessed."""
    if settings.LOG_WITNESS_QUORUM is not None:
        return settings.LOG_WITNESS_QUORUM
    return len(configured_witnesses())


def witness_keys() -> list[CosignatureVerifierKey]:
    """The witnesses whose cosignatures are accepted (LOG_WITNESS_KEYS, C2SP vkey text with signature type 0x04,
    and the keys of LOG_WITNESSES)."""
    keys: list[CosignatureVerifierKey] = [witness.key for witness in configured_witnesses()]
    for text in settings.LOG_WITNESS_KEYS:
        try:
            key = CosignatureVerifierKey.parse(text)
        except NoteError as error:
            raise ImproperlyConfigured(f"YINGDU_LOG_WITNESS_KEYS: {error}") from None
        if key not in keys:
            keys.append(key)
    return keys
