"""`yingdu audit db`: the database audit. Entries are checked against the stored tree, the tree against the signed
checkpoints, and every audited table against the rows its entries imply (DESIGN §6: tables are projections of the log).

The entries are streamed once, in index order, one page at a time: each page's leaf hashes and subtree hashes are
recomputed and compared with the StoredHash rows, each entry is handed to the projections of its domain
(yingdu.audits.projections), and the tables that store their entry's index are compared page by page. The small tables
keyed by the ids their entries carry are compared at the end. Memory is bounded by one page plus those tables' rows.
"""

import hashlib
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import CommandError
from django.db import connection
from django.tasks import task

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import staff_emails_with_role
from yingdu.tlog import (
    NoteError,
    ProofError,
    node_hash,
    prove_consistency,
    stored_hash_count,
    stored_hash_index,
    stored_hashes_for_leaves,
    tree_hash,
    verify_consistency,
    verify_note,
)
from yingdu.tlog.hashing import EMPTY_ROOT_HASH
from yingdu.tlog.storage import subtree_indexes
from yingdu.transparency.keys import log_origin, verifier_keys
from yingdu.transparency.models import LogEntry, LogHead, SignedCheckpoint, StoredHash
from yingdu.transparency.selectors import DatabaseHashReader

from .projections import DELETED, EDITED, INSERTED, Mismatch, MismatchSink, Projection, all_projections

logger = logging.getLogger(__name__)

PAGE_SIZE = 10_000
# mismatches listed one per line in the summary; all are counted, and all are in the AuditReport
LISTED_MISMATCHES = 200

ENTRY_TABLE = LogEntry._meta.db_table
HASH_TABLE = StoredHash._meta.db_table
HEAD_TABLE = LogHead._meta.db_table
CHECKPOINT_TABLE = SignedCheckpoint._meta.db_table
UNREADABLE = "unreadable"


@dataclass
class AuditReport:
    """What the audit checked and every mismatch it found."""

    tree_size: int = 0
    entries_read: int = 0
    checkpoint_size: int | None = None
    checkpoints_checked: int = 0
    seconds: float = 0.0
    rows_checked: dict[str, int] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    not_in_entries: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def entries_per_second(self) -> float:
        return self.entries_read / self.seconds if self.seconds else 0.0

    def mismatches_by_table(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mismatch in self.mismatches:
            counts[mismatch.table] = counts.get(mismatch.table, 0) + 1
        return counts

    def summary(self, *, listed: int = LISTED_MISMATCHES) -> str:
        checkpoint = (f"latest signed checkpoint at {self.checkpoint_size:,}" if self.checkpoint_size is not None
                      else "no signed checkpoint yet")
        lines = [
            f"database audit: {self.entries_read:,} entries of a tree of {self.tree_size:,}; {checkpoint}; "
            f"{self.checkpoints_checked:,} checkpoints checked; {self.seconds:.1f} s "
            f"({self.entries_per_second:,.0f} entries/s)",
            "",
            f"{'table':<36} {'rows checked':>14} {'mismatches':>11}",
        ]
        by_table = self.mismatches_by_table()
        for table in sorted(set(self.rows_checked) | set(by_table)):
            lines.append(f"{table:<36} {self.rows_checked.get(table, 0):>14,} {by_table.get(table, 0):>11,}")
        if self.not_in_entries:
            lines += ["", "fields no entry records (not audited):"]
            lines += [f"  {table}: {', '.join(names)}" for table, names in sorted(self.not_in_entries.items())]
        if self.mismatches:
            lines += ["", f"MISMATCHES ({len(self.mismatches):,}):"]
            lines += [f"  {mismatch.format()}" for mismatch in self.mismatches[:listed]]
            if len(self.mismatches) > listed:
                lines.append(f"  … and {len(self.mismatches) - listed:,} more")
        lines += ["", "result: OK, every audited row matches the log" if self.ok
                  else f"result: FAILED, {len(self.mismatches):,} mismatches"]
        return "\n".join(lines) + "\n"


class _Progress:
    """A progress line on stderr: rewritten in place on a terminal, one line per tenth otherwise."""

    def __init__(self, stream, total: int, enabled: bool) -> None:
        self.stream, self.total, self.enabled = stream, total, enabled
        self.started = time.perf_counter()
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.next_line = 0

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        percent = 100 * done // self.total if self.total else 100
        text = f"audit db: {done:,}/{self.total:,} entries ({percent}%), {done / elapsed if elapsed else 0:,.0f}/s"
        if self.tty:
            self.stream.write("\r" + text)
        elif percent >= self.next_line or done == self.total:
            self.stream.write(text + "\n")
            self.next_line = percent + 10
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


class _TreeAudit:
    """Recomputes the stored hashes from the entries, page by page, keeping only the tree's right frontier."""

    def __init__(self, sink: MismatchSink) -> None:
        self.sink = sink
        self.size = 0
        self.frontier: dict[int, bytes] = {}

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """HashReader over the frontier: the complete subtrees of the tree recomputed so far."""
        return [self.frontier[index] for index in indexes]

    def add_page(self, start: int, leaf_hashes: list[bytes | None], entry_columns: list[bytes | None]) -> None:
        """Append a page of leaves (None where the entry row is missing) and compare with the StoredHash rows."""
        end = start + len(leaf_hashes)
        first, last = stored_hash_count(tree_size=start), stored_hash_count(tree_size=end)
        stored = _stored_hashes(first, last)
        # A missing entry's leaf is taken from the stored tree, so that the rest of the tree can still be checked.
        leaves = [hashed if hashed is not None else stored.get(stored_hash_index(level=0, index=start + offset),
                                                               EMPTY_ROOT_HASH)
                  for offset, hashed in enumerate(leaf_hashes)]
        computed = stored_hashes_for_leaves(first_leaf_index=start, leaf_hashes=leaves, hash_reader=self)
        if len(stored) != len(computed) or list(stored.values()) != computed:
            self._explain(start, first, computed, stored, leaf_hashes, entry_columns)
        known = dict(self.frontier)
        known.update(enumerate(computed, start=first))
        self.size = end
        self.frontier = {index: known[index] for index in subtree_indexes(0, end)}

    def _explain(self, start, first, computed, stored, leaf_hashes, entry_columns) -> None:
        """Name each stored hash that is missing or disagrees, without blaming a hash for its children's faults."""
        for offset, (level, index) in enumerate(_stored_positions(start, len(leaf_hashes))):
            position = first + offset
            got = stored.get(position)
            if got is None:
                self.sink.add(Mismatch(HASH_TABLE, position, DELETED, (), None,
                                       f"subtree hash at level {level}, index {index}"))
                continue
            if got == computed[offset]:
                continue
            if level == 0:
                leaf = index - start
                # an entry whose bytes no longer give its leaf_hash column is reported as the edited entry instead
                if leaf_hashes[leaf] is not None and entry_columns[leaf] != leaf_hashes[leaf]:
                    continue
                self.sink.add(Mismatch(HASH_TABLE, position, EDITED, ("hash",), index,
                                       f"the leaf hash of entry #{index} differs from its bytes: this hash, or the "
                                       "entry and its leaf_hash column, were edited"))
                continue
            children = _stored_hashes_at([stored_hash_index(level=level - 1, index=2 * index),
                                          stored_hash_index(level=level - 1, index=2 * index + 1)], stored)
            # a missing child is reported on its own
            if None not in children and node_hash(*children) != got:
                self.sink.add(Mismatch(HASH_TABLE, position, EDITED, ("hash",), None,
                                       f"subtree hash at level {level}, index {index} is not the hash of its children"))


def _stored_positions(start: int, count: int):
    """(level, index) of each hash stored when leaves [start, start + count) are appended, in storage order."""
    for leaf in range(start, start + count):
        yield 0, leaf
        level = 0
        while (leaf >> level) & 1:
            level += 1
            yield level, leaf >> level


def _stored_hashes(first: int, last: int) -> dict[int, bytes]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('index')}, {quote('hash')} FROM {quote(HASH_TABLE)} "
                       f"WHERE {quote('index')} >= %s AND {quote('index')} < %s ORDER BY {quote('index')}",
                       [first, last])
        return {index: bytes(value) for index, value in cursor.fetchall()}


def _stored_hashes_at(indexes: list[int], known: dict[int, bytes]) -> list[bytes | None]:
    missing = [index for index in indexes if index not in known]
    found = dict(known)
    if missing:
        found.update((index, bytes(value)) for index, value in
                     StoredHash.objects.filter(index__in=missing).values_list("index", "hash"))
    return [found.get(index) for index in indexes]


def _entry_pages(tree_size: int, page_size: int):
    """[start, end) ranges covering the tree."""
    for start in range(0, tree_size, page_size):
        yield start, min(start + page_size, tree_size)


def _read_entries(start: int, end: int) -> list[tuple]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('index')}, {quote('event_type')}, {quote('entry')}, {quote('leaf_hash')} "
                       f"FROM {quote(ENTRY_TABLE)} WHERE {quote('index')} >= %s AND {quote('index')} < %s "
                       f"ORDER BY {quote('index')}", [start, end])
        return cursor.fetchall()


class _Dispatch:
    """The projections that handle each event type, worked out once per type."""

    def __init__(self, projections: list[Projection]) -> None:
        self.projections = projections
        self._by_type: dict[str, list[Projection]] = {}

    def __getitem__(self, event_type: str) -> list[Projection]:
        chosen = self._by_type.get(event_type)
        if chosen is None:
            chosen = self._by_type[event_type] = [p for p in self.projections if p.handles(event_type)]
        return chosen


def _audit_page(start: int, end: int, tree: _TreeAudit, dispatch: _Dispatch, sink: MismatchSink) -> int:
    """Check one page of entries against the tree and hand each to its projections; the count of entries read."""
    rows = _read_entries(start, end)
    leaf_hashes: list[bytes | None] = [None] * (end - start)
    entry_columns: list[bytes | None] = [None] * (end - start)
    sha256 = hashlib.sha256
    loads = json.loads
    for index, event_type, entry, stored_leaf in rows:
        entry = bytes(entry)
        # leaf hash = SHA-256(0x00 || entry)
        hashed = sha256(b"\x00" + entry).digest()
        offset = index - start
        leaf_hashes[offset] = hashed
        entry_columns[offset] = stored_leaf = bytes(stored_leaf)
        if hashed != stored_leaf:
            sink.add(Mismatch(ENTRY_TABLE, index, EDITED, ("entry",) if _leaf_in_tree(index, stored_leaf)
                              else ("entry", "leaf_hash"), index, "the entry's bytes do not give its leaf hash"))
        try:
            event = loads(entry)
            if event.get("type") != event_type:
                sink.add(Mismatch(ENTRY_TABLE, index, EDITED, ("event_type",), index,
                                  f"column says {event_type!r}, the entry {event.get('type')!r}"))
                event_type = event.get("type")
            for projection in dispatch[event_type]:
                projection.entry(index, event_type, event)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            sink.add(Mismatch(ENTRY_TABLE, index, UNREADABLE, (), index,
                              f"{event_type}: {type(error).__name__} {error}"))
    if len(rows) != end - start:
        present = {row[0] for row in rows}
        for index in range(start, end):
            if index not in present:
                sink.add(Mismatch(ENTRY_TABLE, index, DELETED, (), index, "the tree has a leaf here"))
    tree.add_page(start, leaf_hashes, entry_columns)
    for projection in dispatch.projections:
        projection.page(start, end, sink)
    return len(rows)


def _leaf_in_tree(index: int, leaf: bytes) -> bool:
    """True when the StoredHash row of this leaf equals the given hash (so the entry bytes are what changed)."""
    stored = _stored_hashes_at([stored_hash_index(level=0, index=index)], {})[0]
    return stored == leaf


def _check_outside(tree_size: int, sink: MismatchSink) -> None:
    """Entries and stored hashes beyond the head's tree size were inserted behind the log's back."""
    for index in (LogEntry.objects.filter(index__gte=tree_size) | LogEntry.objects.filter(index__lt=0)) \
            .values_list("index", flat=True)[:LISTED_MISMATCHES]:
        sink.add(Mismatch(ENTRY_TABLE, index, INSERTED, (), None, f"beyond the log head's tree size {tree_size}"))
    count = stored_hash_count(tree_size=tree_size)
    for index in (StoredHash.objects.filter(index__gte=count) | StoredHash.objects.filter(index__lt=0)) \
            .values_list("index", flat=True)[:LISTED_MISMATCHES]:
        sink.add(Mismatch(HASH_TABLE, index, INSERTED, (), None, f"beyond the {count} hashes of the tree"))


def _stored_root(tree_size: int, reader: DatabaseHashReader) -> bytes | None:
    """The root of the stored tree at a size (its hashes were each checked against the entries), None if missing."""
    try:
        return tree_hash(tree_size=tree_size, hash_reader=reader)
    except ProofError:
        return None


def _check_head(head: LogHead | None, reader: DatabaseHashReader, sink: MismatchSink) -> None:
    if head is None:
        sink.add(Mismatch(HEAD_TABLE, 1, DELETED, (), None, "the log head row is missing"))
    elif _stored_root(head.tree_size, reader) != bytes(head.root_hash):
        sink.add(Mismatch(HEAD_TABLE, 1, EDITED, ("root_hash",), None,
                          f"the head's root is not the root of the stored tree of {head.tree_size} entries"))


def _check_checkpoints(tree_size: int, reader: DatabaseHashReader, sink: MismatchSink) -> tuple[int | None, int]:
    """Verify every checkpoint's signature; the latest against the tree, each earlier one by a consistency proof.

    Returns the latest checkpoint's size and how many checkpoints were checked.
    """
    keys = verifier_keys()
    origin = log_origin()
    latest = None
    count = 0
    for row in SignedCheckpoint.objects.order_by("-tree_size").iterator():
        count += 1
        try:
            note = verify_note(row.note, verifier_keys=keys, origin=origin)
        except NoteError as error:
            sink.add(Mismatch(CHECKPOINT_TABLE, row.tree_size, EDITED, ("note",), None,
                              f"the signature does not verify: {error}"))
            continue
        differing = tuple(name for name, same in (("tree_size", note.tree_size == row.tree_size),
                                                  ("root_hash", note.root_hash == bytes(row.root_hash))) if not same)
        if differing:
            sink.add(Mismatch(CHECKPOINT_TABLE, row.tree_size, EDITED, differing, None,
                              "the row differs from its signed note"))
        if latest is None:
            latest = note
            if note.tree_size > tree_size:
                sink.add(Mismatch(CHECKPOINT_TABLE, row.tree_size, EDITED, (), None,
                                  f"signed at {note.tree_size} entries but the log has {tree_size}: it shrank"))
            elif _stored_root(note.tree_size, reader) != note.root_hash:
                sink.add(Mismatch(CHECKPOINT_TABLE, row.tree_size, EDITED, ("root_hash",), note.tree_size - 1,
                                  "the signed root is not the root of the log's first "
                                  f"{note.tree_size} entries"))
            continue
        if note.tree_size > latest.tree_size or latest.tree_size > tree_size:
            continue
        try:
            proof = prove_consistency(old_size=note.tree_size, new_size=latest.tree_size, hashes=reader)
            verify_consistency(old_size=note.tree_size, new_size=latest.tree_size, proof=proof,
                               old_root=note.root_hash, new_root=latest.root_hash)
        except ProofError as error:
            sink.add(Mismatch(CHECKPOINT_TABLE, row.tree_size, EDITED, (), None,
                              f"not consistent with the latest checkpoint at {latest.tree_size}: {error}"))
    return (latest.tree_size if latest is not None else None), count


def db_audit(*, progress_stream=None, page_size: int = PAGE_SIZE) -> AuditReport:
    """Run the whole audit and return the report (no output but the progress line)."""
    began = time.perf_counter()
    sink = MismatchSink()
    report = AuditReport()
    head = LogHead.objects.filter(pk=1).first()
    tree_size = head.tree_size if head is not None else 0
    projections = all_projections()
    dispatch = _Dispatch(projections)
    tree = _TreeAudit(sink)
    progress = _Progress(progress_stream, tree_size, progress_stream is not None)
    for start, end in _entry_pages(tree_size, page_size):
        report.entries_read += _audit_page(start, end, tree, dispatch, sink)
        sink.checked(ENTRY_TABLE, end - start)
        progress.update(end)
    progress.close()
    _check_outside(tree_size, sink)
    sink.checked(HASH_TABLE, stored_hash_count(tree_size=tree_size))
    reader = DatabaseHashReader()
    _check_head(head, reader, sink)
    report.checkpoint_size, report.checkpoints_checked = _check_checkpoints(tree_size, reader, sink)
    sink.checked(CHECKPOINT_TABLE, report.checkpoints_checked)
    for projection in projections:
        projection.finish(tree_size, sink)
        report.not_in_entries.update({table: names for table, names in projection.tables.items() if names})
    report.tree_size = tree_size
    report.rows_checked = sink.rows_checked
    report.mismatches = sink.mismatches
    report.seconds = time.perf_counter() - began
    return report


def add_arguments(parser) -> None:
    """Options of `yingdu audit db` (added to the audit command's `db` subcommand)."""
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="entries read per page")
    parser.add_argument("--list", type=int, default=LISTED_MISMATCHES, help="mismatches listed one per line")


def run_db_audit(*, stdout=None, stderr=None, progress: bool = True, page_size: int = PAGE_SIZE,
                 command=None, options=None) -> AuditReport | None:
    """Run the audit, print its summary on stdout (progress on stderr) and return the report.

    From the `yingdu audit db` command (``command`` and its ``options``), a mismatch raises CommandError with exit
    status 1 after the summary is printed, and nothing is returned (a command's return value is printed).
    """
    options = options or {}
    if command is not None:
        stdout, stderr = command.stdout, command.stderr
        progress = not options.get("no_progress", False)
        page_size = options.get("page_size") or page_size
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    report = db_audit(progress_stream=stderr if progress else None, page_size=page_size)
    stdout.write(report.summary(listed=options.get("list", LISTED_MISMATCHES)))
    if command is None:
        return report
    if not report.ok:
        raise CommandError(f"database audit found {len(report.mismatches):,} mismatches", returncode=1)
    return None


def db_audit_alert(report: AuditReport) -> int:
    """E-mail every active admin the summary of a failed audit; how many recipients."""
    recipients = staff_emails_with_role(Role.ADMIN)
    if report.ok or not recipients:
        return 0
    send_mail(f"【影都算力券】数据库审计发现 {len(report.mismatches)} 处不一致", report.summary(),
              settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


@task
def db_audit_daily() -> dict:
    """The daily audit: run it, log the outcome, alert the admins on any mismatch."""
    report = db_audit()
    if report.ok:
        logger.info("database audit OK: %s entries in %.1f s", report.entries_read, report.seconds)
    else:
        logger.critical("database audit found %s mismatches", len(report.mismatches))
    alerted = db_audit_alert(report)
    return {"entries": report.entries_read, "mismatches": len(report.mismatches), "alerted": alerted}
