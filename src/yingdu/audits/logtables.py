"""The database audit's checks of the log's own tables: entries and hashes beyond the head, the head row, the
signed checkpoints (signatures, consistency, numbering) and the stored witness cosignatures."""


from yingdu.tlog import (
    Cosignature,
    NoteError,
    ProofError,
    prove_consistency,
    stored_hash_count,
    tree_hash,
    verify_consistency,
    verify_cosignature,
    verify_note,
)
from yingdu.tlog.note import split_note
from yingdu.transparency.keys import log_origin, verifier_keys, witness_keys
from yingdu.transparency.models import LogEntry, LogHead, SignedCheckpoint, StoredHash, WitnessCosignature
from yingdu.transparency.selectors import DatabaseHashReader

from .projections import DELETED, EDITED, INSERTED, Mismatch, MismatchSink

ENTRY_TABLE = LogEntry._meta.db_table
HASH_TABLE = StoredHash._meta.db_table
HEAD_TABLE = LogHead._meta.db_table
CHECKPOINT_TABLE = SignedCheckpoint._meta.db_table
COSIGNATURE_TABLE = WitnessCosignature._meta.db_table
# mismatches listed one per line (in the summary, and of rows beyond the head); all are counted
LISTED_MISMATCHES = 200

LOG_TABLE_UNRECORDED = {
    CHECKPOINT_TABLE: ("signed_at (when the operator's key signed it: a checkpoint note carries no time; witness "
                       "cosignatures carry theirs)",),
    COSIGNATURE_TABLE: ("received_at (when the witness submitted it; the cosignature's own timestamp is checked)",),
}

def check_outside(tree_size: int, sink: MismatchSink) -> None:
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


def check_head(head: LogHead | None, reader: DatabaseHashReader, sink: MismatchSink) -> None:
    if head is None:
        sink.add(Mismatch(HEAD_TABLE, 1, DELETED, (), None, "the log head row is missing"))
    elif _stored_root(head.tree_size, reader) != bytes(head.root_hash):
        sink.add(Mismatch(HEAD_TABLE, 1, EDITED, ("root_hash",), None,
                          f"the head's root is not the root of the stored tree of {head.tree_size} entries"))
    if head is not None:
        last = LogEntry.objects.order_by("-index").values_list("index", flat=True).first()
        entries = 0 if last is None else last + 1
        if entries != head.tree_size:
            sink.add(Mismatch(HEAD_TABLE, 1, EDITED, ("tree_size",), None,
                              f"says {head.tree_size} entries; the last entry is number {entries - 1}"))
    for pk in LogHead.objects.exclude(pk=1).values_list("pk", flat=True):
        sink.add(Mismatch(HEAD_TABLE, pk, INSERTED, (), None, "the log has one head row (id 1)"))
    sink.checked(HEAD_TABLE, LogHead.objects.count())


def check_checkpoint_sequence(head: LogHead | None, sink: MismatchSink) -> None:
    """Checkpoints are numbered 1…n in tree size order and the head counts n, so a deleted checkpoint (the latest
    included), a renumbered one and a forged one are each named."""
    rows = list(SignedCheckpoint.objects.order_by("tree_size").values_list("tree_size", "sequence"))
    signed = head.checkpoints_signed if head is not None else 0
    numbers = {sequence for _size, sequence in rows}
    if len(rows) == signed:
        for rank, (tree_size, sequence) in enumerate(rows, start=1):
            if sequence != rank:
                sink.add(Mismatch(CHECKPOINT_TABLE, tree_size, EDITED, ("sequence",), None,
                                  f"number {sequence} is out of signing order (expected {rank})"))
        return
    if len(rows) < signed:
        for missing in sorted(set(range(1, signed + 1)) - numbers):
            sink.add(Mismatch(CHECKPOINT_TABLE, f"sequence {missing}", DELETED, (), None,
                              f"the log head counts {signed} signed checkpoints; number {missing} is missing"))
        if max(numbers, default=0) < signed:
            # the latest checkpoints are missing, or the head's count was raised: the database cannot tell which
            sink.add(Mismatch(HEAD_TABLE, 1, EDITED, ("checkpoints_signed",), None,
                              f"counts {signed} signed checkpoints, the table's last is number "
                              f"{max(numbers, default=0)} (or the latest were deleted)"))
    beyond = [(tree_size, sequence) for tree_size, sequence in rows if not 1 <= sequence <= signed]
    for tree_size, sequence in beyond:
        sink.add(Mismatch(CHECKPOINT_TABLE, tree_size, INSERTED, ("sequence",), None,
                          f"number {sequence}, but the log head counts {signed} signed checkpoints"))
    if len(rows) > signed and not beyond:
        sink.add(Mismatch(HEAD_TABLE, 1, EDITED, ("checkpoints_signed",), None,
                          f"counts {signed} signed checkpoints, the table holds {len(rows)}"))
    previous = 0
    for tree_size, sequence in rows:
        if 1 <= sequence <= signed and sequence <= previous:
            sink.add(Mismatch(CHECKPOINT_TABLE, tree_size, EDITED, ("sequence",), None,
                              f"number {sequence} is out of signing order"))
        previous = max(previous, sequence)


def check_cosignatures(sink: MismatchSink) -> None:
    """Each stored cosignature is a valid signature by a configured witness of the checkpoint it is stored with."""
    witnesses = {(key.name, key.key_id): key for key in witness_keys()}
    notes = {}
    count = 0
    for row in WitnessCosignature.objects.order_by("pk").iterator():
        count += 1
        if row.checkpoint_id not in notes:
            notes[row.checkpoint_id] = SignedCheckpoint.objects.filter(pk=row.checkpoint_id) \
                .values_list("note", flat=True).first()
        note = notes[row.checkpoint_id]
        problem = None
        if note is None:
            problem = ("checkpoint_id",), "its checkpoint is missing"
        else:
            try:
                text, _signatures = split_note(note)
                text, [line] = split_note(text + "\n" + row.signature_line)
                cosignature = Cosignature.from_note_signature(line)
                key = witnesses.get((row.witness_name, row.key_id))
                if key is None:
                    problem = ("witness_name", "key_id"), "not a configured witness key"
                elif (cosignature.name, cosignature.key_id, cosignature.timestamp) != \
                        (row.witness_name, row.key_id, row.timestamp):
                    problem = ("witness_name", "key_id", "timestamp"), "the row differs from its signature line"
                else:
                    verify_cosignature(text=text, cosignature=cosignature, verifier_key=key)
            except (NoteError, ValueError) as error:
                problem = ("signature_line",), f"the cosignature does not verify: {error}"
        if problem is not None:
            sink.add(Mismatch(COSIGNATURE_TABLE, row.pk, EDITED, problem[0], None, problem[1]))
    sink.checked(COSIGNATURE_TABLE, count)


def check_checkpoints(tree_size: int, reader: DatabaseHashReader, sink: MismatchSink) -> tuple[int | None, int]:
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
