"""`yingdu audit db`: the database audit. Entries are checked against the stored tree, the tree against the signed
checkpoints, and every audited table against the rows its entries imply (DESIGN §6: tables are projections of the log).

The entries are streamed once, in index order, one page at a time: each page's leaf hashes and subtree hashes are
recomputed and compared with the StoredHash rows, each entry is handed to the projections of its domain
(yingdu.audits.projections), and the tables that store their entry's index are compared page by page. The small tables
keyed by the ids their entries carry are compared at the end. Memory is bounded by one page plus those tables' rows.
"""

import functools
import hashlib
import json
import logging
import multiprocessing
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.db import connection, connections
from django.tasks import task
from django.utils import timezone

from yingdu.accounts.models import Role
from yingdu.accounts.selectors import staff_with_role
from yingdu.inbox.services import Message, entry_ref, notifications_mail, notify
from yingdu.tlog import (
    node_hash,
    stored_hash_count,
    stored_hash_index,
    stored_hashes_for_leaves,
)
from yingdu.tlog.hashing import EMPTY_ROOT_HASH
from yingdu.tlog.storage import subtree_indexes
from yingdu.transparency.catalogue import CATALOGUE, CatalogueError
from yingdu.transparency.models import LogHead, StoredHash
from yingdu.transparency.selectors import DatabaseHashReader

from .coverage import table_coverage
from .logtables import (
    CHECKPOINT_TABLE,
    ENTRY_TABLE,
    HASH_TABLE,
    LISTED_MISMATCHES,
    LOG_TABLE_UNRECORDED,
    check_checkpoint_sequence,
    check_checkpoints,
    check_cosignatures,
    check_head,
    check_outside,
)
from .projections import DELETED, EDITED, Mismatch, MismatchSink, Projection, all_projections

logger = logging.getLogger(__name__)

PAGE_SIZE = 10_000


UNREADABLE = "unreadable"
UNDECLARED_ENTRY = "undeclared"


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
    tables_not_audited: dict[str, str] = field(default_factory=dict)
    tables_unexplained: dict[str, str] = field(default_factory=dict)

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
            lines += ["", "columns no entry records (not audited, with the reason):"]
            lines += [f"  {table}: {', '.join(names)}" for table, names in sorted(self.not_in_entries.items())]
        if self.tables_not_audited:
            lines += ["", "tables not recomputed from the log (with the reason):"]
            lines += [f"  {table}: {reason}" for table, reason in sorted(self.tables_not_audited.items())]
        if self.tables_unexplained:
            lines += ["", "TABLES NOT AUDITED WITHOUT A REASON:"]
            lines += [f"  {table}" for table in sorted(self.tables_unexplained)]
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


@dataclass(frozen=True)
class _TypeFilter:
    """Which entries a worker of a parallel audit reads, by their event_type column."""

    types: tuple[str, ...]
    exclude: bool = False

    def sql(self, quote) -> str:
        if not self.types:
            return "" if self.exclude else " AND 1 = 0"
        operator = "NOT IN" if self.exclude else "IN"
        return f" AND {quote('event_type')} {operator} ({', '.join(['%s'] * len(self.types))})"


def _read_entries(start: int, end: int, only: _TypeFilter | None = None) -> list[tuple]:
    """(index, event_type, entry, leaf_hash) of the entries in [start, end) (those ``only`` selects, if given)."""
    quote = connection.ops.quote_name
    condition = only.sql(quote) if only is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('index')}, {quote('event_type')}, {quote('entry')}, {quote('leaf_hash')} "
                       f"FROM {quote(ENTRY_TABLE)} WHERE {quote('index')} >= %s AND {quote('index')} < %s{condition} "
                       f"ORDER BY {quote('index')}", [start, end, *(only.types if only is not None else ())])
        return cursor.fetchall()


class _Dispatch:
    """The projections that handle each event type, worked out once per type."""

    def __init__(self, projections: list[Projection], *, quiet_types: frozenset[str] = frozenset()) -> None:
        self.projections = projections
        # In a parallel audit an entry read by two workers has its own problems reported by one of them only.
        self.quiet_types = quiet_types
        self._by_type: dict[str, list[Projection]] = {}

    def report(self, mismatch: Mismatch, sink: MismatchSink, event_type: str) -> None:
        if event_type not in self.quiet_types:
            sink.add(mismatch)

    def declared(self, index: int, event: dict, sink: MismatchSink) -> bool:
        """Whether the entry matches its declaration in the catalogue; a mismatch names the entry otherwise."""
        try:
            CATALOGUE.validate(event)
        except CatalogueError as error:
            self.report(Mismatch(ENTRY_TABLE, index, UNDECLARED_ENTRY, (), index, str(error)), sink,
                        event.get("type"))
            return False
        return True

    def types(self) -> frozenset[str]:
        """The declared types any of these projections handles."""
        return frozenset(declared.name for declared in CATALOGUE if self[declared.name])

    def __getitem__(self, event_type: str) -> list[Projection]:
        chosen = self._by_type.get(event_type)
        if chosen is None:
            chosen = self._by_type[event_type] = [p for p in self.projections if p.handles(event_type)]
        return chosen


def _audit_page(start: int, end: int, tree: _TreeAudit | None, dispatch: _Dispatch | None, sink: MismatchSink,
                only: _TypeFilter | None = None) -> int:
    """Check one page of entries against the tree (``tree``) and hand each to its projections (``dispatch``, for the
    entries ``only`` selects when given); the count of entries read."""
    rows = _read_entries(start, end, only)
    if tree is not None:
        _tree_page(rows, start, end, tree, sink)
    if dispatch is not None:
        _projection_page(rows, dispatch, sink)
        for projection in dispatch.projections:
            projection.page(start, end, sink)
    return len(rows)


def _tree_page(rows: list[tuple], start: int, end: int, tree: _TreeAudit, sink: MismatchSink) -> None:
    leaf_hashes: list[bytes | None] = [None] * (end - start)
    entry_columns: list[bytes | None] = [None] * (end - start)
    sha256 = hashlib.sha256
    for index, _event_type, entry, stored_leaf in rows:
        entry = bytes(entry)
        # leaf hash = SHA-256(0x00 || entry)
        hashed = sha256(b"\x00" + entry).digest()
        offset = index - start
        leaf_hashes[offset] = hashed
        entry_columns[offset] = stored_leaf = bytes(stored_leaf)
        if hashed != stored_leaf:
            sink.add(Mismatch(ENTRY_TABLE, index, EDITED, ("entry",) if _leaf_in_tree(index, stored_leaf)
                              else ("entry", "leaf_hash"), index, "the entry's bytes do not give its leaf hash"))
    if len(rows) != end - start:
        present = {row[0] for row in rows}
        for index in range(start, end):
            if index not in present:
                sink.add(Mismatch(ENTRY_TABLE, index, DELETED, (), index, "the tree has a leaf here"))
    tree.add_page(start, leaf_hashes, entry_columns)


def _projection_page(rows: list[tuple], dispatch: _Dispatch, sink: MismatchSink) -> None:
    loads = json.loads
    for index, event_type, entry, _stored_leaf in rows:
        try:
            event = loads(bytes(entry))
            if event.get("type") != event_type:
                dispatch.report(Mismatch(ENTRY_TABLE, index, EDITED, ("event_type",), index,
                                         f"column says {event_type!r}, the entry {event.get('type')!r}"), sink,
                                event_type)
                event_type = event.get("type")
            if not dispatch.declared(index, event, sink):
                continue
            for projection in dispatch[event_type]:
                projection.entry(index, event_type, event)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            dispatch.report(Mismatch(ENTRY_TABLE, index, UNREADABLE, (), index,
                                     f"{event_type}: {type(error).__name__} {error}"), sink, event_type)


def _leaf_in_tree(index: int, leaf: bytes) -> bool:
    """True when the StoredHash row of this leaf equals the given hash (so the entry bytes are what changed)."""
    stored = _stored_hashes_at([stored_hash_index(level=0, index=index)], {})[0]
    return stored == leaf


@dataclass
class _Part:
    """What one part of the audit found (one process of a parallel audit, or the whole audit)."""

    mismatches: list[Mismatch] = field(default_factory=list)
    rows_checked: dict[str, int] = field(default_factory=dict)
    entries_read: int = 0
    checkpoint_size: int | None = None
    checkpoints_checked: int = 0
    not_in_entries: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _audit_part(*, tree_size: int, page_size: int, tree: bool, projections: list[Projection] | None,
                only: _TypeFilter | None = None, quiet_types: frozenset[str] = frozenset(),
                progress_stream=None) -> _Part:
    """The tree and log-table checks (``tree``), the projections (``projections``), or both in one pass."""
    sink = MismatchSink()
    part = _Part()
    tree_audit = _TreeAudit(sink) if tree else None
    dispatch = _Dispatch(projections, quiet_types=quiet_types) if projections is not None else None
    progress = _Progress(progress_stream, tree_size, progress_stream is not None)
    for start, end in _entry_pages(tree_size, page_size):
        part.entries_read += _audit_page(start, end, tree_audit, dispatch, sink, only)
        if tree:
            sink.checked(ENTRY_TABLE, end - start)
        progress.update(end)
    progress.close()
    if tree:
        head = LogHead.objects.filter(pk=1).first()
        check_outside(tree_size, sink)
        sink.checked(HASH_TABLE, stored_hash_count(tree_size=tree_size))
        reader = DatabaseHashReader()
        check_head(head, reader, sink)
        part.checkpoint_size, part.checkpoints_checked = check_checkpoints(tree_size, reader, sink)
        sink.checked(CHECKPOINT_TABLE, part.checkpoints_checked)
        check_checkpoint_sequence(head, sink)
        check_cosignatures(sink)
        part.not_in_entries.update(LOG_TABLE_UNRECORDED)
    for projection in projections or ():
        projection.finish(tree_size, sink)
        part.not_in_entries.update({table: names for table, names in projection.tables.items() if names})
    part.mismatches, part.rows_checked = sink.mismatches, sink.rows_checked
    return part


def _parallel_plan(projections: list[Projection], jobs: int) -> list[dict]:
    """How jobs - 1 worker processes share the projections (one more checks the tree), and which entries each reads.

    The usage projection, which dominates a large log, runs alone when there is room. Each entry is decoded by as
    few workers as possible: a worker reads the types its projections handle; the worker of the catalogue projection
    reads every entry except those only another worker handles, and it alone reports the problems of an entry that
    two workers read (so that each is reported once).
    """
    workers = max(1, jobs - 1)
    heavy = [p for p in projections if p.name == "usage"]
    rest = [p for p in projections if p.name != "usage"]
    if workers == 1 or not heavy:
        return [{"projections": projections}]
    groups = [heavy] + [[] for _ in range(workers - 1)]
    for position, projection in enumerate(rest):
        groups[1 + position % (workers - 1)].append(projection)
    groups = [group for group in groups if group]
    handled = [_Dispatch(group).types() for group in groups]
    main = next(i for i, group in enumerate(groups) if any(p.name == "catalogue" for p in group))
    others = frozenset().union(*(types for i, types in enumerate(handled) if i != main))
    plan = []
    for i, group in enumerate(groups):
        if i == main:
            plan.append({"projections": group, "only": _TypeFilter(tuple(sorted(others - handled[main])), True)})
        else:
            plan.append({"projections": group, "only": _TypeFilter(tuple(sorted(handled[i]))),
                         "quiet_types": handled[i] & handled[main]})
    return plan


def _run_in_child(connection_end, work) -> None:
    """In a forked worker: run ``work`` on a connection of its own and send back the result (or the error)."""
    connections.close_all()
    try:
        connection_end.send(("ok", work()))
    except BaseException:  # the parent re-raises it; a worker must not die silently
        connection_end.send(("error", traceback.format_exc()))
    finally:
        connections.close_all()
        connection_end.close()


def _run_parallel(works: list) -> list[_Part]:
    """Run each callable in a forked process (the database is read through a connection per process)."""
    context = multiprocessing.get_context("fork")
    connections.close_all()
    started = []
    for work in works:
        parent_end, child_end = context.Pipe(duplex=False)
        process = context.Process(target=_run_in_child, args=(child_end, work), daemon=True)
        process.start()
        child_end.close()
        started.append((process, parent_end))
    results = []
    for process, parent_end in started:
        status, value = parent_end.recv()
        process.join()
        if status != "ok":
            raise RuntimeError(f"an audit worker failed:\n{value}")
        results.append(value)
    return results


def db_audit(*, progress_stream=None, page_size: int = PAGE_SIZE, jobs: int = 1) -> AuditReport:
    """Run the whole audit and return the report (no output but the progress line).

    With ``jobs`` > 1 the tree and the projections are checked by separate worker processes (forked, each with its
    own database connection); inside a transaction, whose writes they could not see, the audit runs in one process.
    """
    began = time.perf_counter()
    head = LogHead.objects.filter(pk=1).first()
    tree_size = head.tree_size if head is not None else 0
    projections = all_projections()
    # workers would not see what the caller's open transaction has not committed
    if jobs <= 1 or connection.in_atomic_block:
        parts = [_audit_part(tree_size=tree_size, page_size=page_size, tree=True, projections=projections,
                             progress_stream=progress_stream)]
    else:
        works = [functools.partial(_audit_part, tree_size=tree_size, page_size=page_size, tree=True,
                                   projections=None, progress_stream=progress_stream)]
        works += [functools.partial(_audit_part, tree_size=tree_size, page_size=page_size, tree=False, **share)
                  for share in _parallel_plan(projections, jobs)]
        parts = _run_parallel(works)
    report = AuditReport(tree_size=tree_size)
    rows_checked: dict[str, int] = {}
    for part in parts:
        report.mismatches += part.mismatches
        for table, count in part.rows_checked.items():
            rows_checked[table] = rows_checked.get(table, 0) + count
        report.not_in_entries.update(part.not_in_entries)
        if part.checkpoints_checked or part.checkpoint_size is not None:
            report.checkpoint_size, report.checkpoints_checked = part.checkpoint_size, part.checkpoints_checked
    report.entries_read = parts[0].entries_read
    report.rows_checked = rows_checked
    report.tables_not_audited, report.tables_unexplained = table_coverage(projections)
    report.seconds = time.perf_counter() - began
    return report


def add_arguments(parser) -> None:
    """Options of `yingdu audit db` (added to the audit command's `db` subcommand)."""
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    parser.add_argument("--page-size", type=int, default=PAGE_SIZE, help="entries read per page")
    parser.add_argument("--list", type=int, default=LISTED_MISMATCHES, help="mismatches listed one per line")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="worker processes: one checks the tree, the others the tables (default: the cores)")


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
    report = db_audit(progress_stream=stderr if progress else None, page_size=page_size,
                      jobs=max(1, options.get("jobs") or 1))
    stdout.write(report.summary(listed=options.get("list", LISTED_MISMATCHES)))
    if command is None:
        return report
    if not report.ok:
        raise CommandError(f"database audit found {len(report.mismatches):,} mismatches", returncode=1)
    return None


def db_audit_alert(report: AuditReport) -> int:
    """E-mail every active admin the summary of a failed audit; how many recipients."""
    recipients = staff_with_role(Role.ADMIN)
    if report.ok or not recipients:
        return 0
    now = timezone.now()
    subject = f"【影都算力券】数据库审计发现 {len(report.mismatches)} 处不一致"
    ref = entry_ref("audits.db_audit_alert", f"{now:%Y%m%dT%H%M%S%f}")
    notify(message=Message(kind="audits.db_audit_alert", ref=ref, subject=subject, body=report.summary(),
                           link="", recipients=recipients), now=now)
    return notifications_mail(ref=ref, subject=subject, body=report.summary())


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
