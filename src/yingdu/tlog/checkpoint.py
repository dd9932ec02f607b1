"""Checkpoints: the note text of a signed tree head, per C2SP tlog-checkpoint."""

from dataclasses import dataclass

from yingdu.tlog._text import MAX_UINT64, decode_base64, encode_base64, has_control_characters, parse_decimal
from yingdu.tlog.errors import NoteError
from yingdu.tlog.hashing import HASH_SIZE


@dataclass(frozen=True)
class Checkpoint:
    """A log's origin, tree size, root hash and optional extension lines (C2SP tlog-checkpoint)."""

    origin: str
    tree_size: int
    root_hash: bytes
    extension_lines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "extension_lines", tuple(self.extension_lines))
        _check_line(self.origin, "checkpoint origin")
        if (
            not isinstance(self.tree_size, int)
            or isinstance(self.tree_size, bool)
            or not 0 <= self.tree_size <= MAX_UINT64
        ):
            raise NoteError(f"checkpoint tree size must be an integer from 0 to 2**64 - 1, not {self.tree_size!r}")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        for line in self.extension_lines:
            _check_line(line, "checkpoint extension line")

    def format(self) -> str:
        """The note text: origin, decimal size, base64 root hash, extension lines, each ending in a newline."""
        lines = [self.origin, str(self.tree_size), encode_base64(self.root_hash), *self.extension_lines]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> "Checkpoint":
        """Parse checkpoint note text strictly; raise NoteError on any deviation from the format."""
        if not text.endswith("\n"):
            raise NoteError("checkpoint does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError("checkpoint has fewer than three lines")
        origin, size_line, root_line, *extension_lines = lines
        tree_size = parse_decimal(size_line, error=NoteError, what="checkpoint tree size")
        root_hash = decode_base64(root_line, error=NoteError, what="checkpoint root hash")
        if len(root_hash) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash is {len(root_hash)} bytes, not {HASH_SIZE}")
        return cls(origin=origin, tree_size=tree_size, root_hash=root_hash, extension_lines=tuple(extension_lines))


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise NoteError(f"{what} is empty")
    if "\n" in line or has_control_characters(line):
        raise NoteError(f"{what} contains a newline or a control character")
