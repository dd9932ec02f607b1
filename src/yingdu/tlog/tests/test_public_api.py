"""The public surface of yingdu.tlog changes only on purpose."""

import inspect

import yingdu.tlog


def test_public_names_are_pinned():
    assert yingdu.tlog.__all__ == [
        "Checkpoint",
        "Cosignature",
        "CosignatureVerifierKey",
        "CosignerKey",
        "HashReader",
        "MemoryHashStore",
        "Note",
        "NoteError",
        "NoteSignature",
        "ProofError",
        "Receipt",
        "ReceiptError",
        "SignerKey",
        "TlogError",
        "VerifierKey",
        "cosign_checkpoint",
        "leaf_hash",
        "node_hash",
        "open_note",
        "prove_consistency",
        "prove_inclusion",
        "prove_inclusion_all",
        "root_hash",
        "sign_note",
        "stored_hash_count",
        "stored_hash_index",
        "stored_hashes_for_leaf",
        "stored_hashes_for_leaves",
        "tree_hash",
        "verify_consistency",
        "verify_cosignature",
        "verify_inclusion",
        "verify_note",
        "verify_receipt",
    ]
    for name in yingdu.tlog.__all__:
        assert getattr(yingdu.tlog, name) is not None


def test_errors_share_one_base_class():
    for error in (yingdu.tlog.ProofError, yingdu.tlog.NoteError, yingdu.tlog.ReceiptError):
        assert issubclass(error, yingdu.tlog.TlogError)
    assert issubclass(yingdu.tlog.TlogError, ValueError)


def test_functions_beyond_their_subject_take_keyword_arguments_only():
    # The hashing primitives take their inputs positionally, as RFC 9162 writes them; note and receipt
    # verification take the text they check positionally; every other argument is keyword-only.
    positional_allowed = {
        "leaf_hash": {"entry"},
        "node_hash": {"left", "right"},
        "root_hash": {"leaf_hashes"},
        "open_note": {"signed_note"},
        "verify_note": {"signed_note"},
        "verify_receipt": {"receipt_text"},
    }
    for name in yingdu.tlog.__all__:
        function = getattr(yingdu.tlog, name)
        if not inspect.isfunction(function):
            continue
        positional = {
            parameter.name
            for parameter in inspect.signature(function).parameters.values()
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
        }
        assert positional == positional_allowed.get(name, set()), name


def test_the_memory_store_is_a_hash_reader():
    assert isinstance(yingdu.tlog.MemoryHashStore(), yingdu.tlog.HashReader)
