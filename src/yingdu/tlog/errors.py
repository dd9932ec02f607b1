"""Errors raised by the transparency-log core."""


class TlogError(ValueError):
    """Base class: some transparency-log data failed to parse or to verify."""


class ProofError(TlogError):
    """An inclusion or consistency proof is malformed or does not verify (RFC 9162 §2.1.3, §2.1.4)."""


class NoteError(TlogError):
    """A signed note, checkpoint or key is malformed or its signatures do not verify (C2SP signed-note)."""


class ReceiptError(TlogError):
    """A receipt is not in the C2SP tlog-proof text format."""
