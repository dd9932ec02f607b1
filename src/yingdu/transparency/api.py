"""Public log API: checkpoint, entries, proofs and receipts (C2SP text formats), and witness cosignature submission."""

import base64

from django.http import HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from yingdu.api_errors import errors
from yingdu.api_types import NO_NUL, TEXT_MAX_LENGTH, Index
from yingdu.errors import DomainError, NotFound

from . import selectors
from .keys import key_rotation_statements
from .services import (
    MSG_COSIGNED_NOTE_INVALID,
    MSG_NO_CHECKPOINT,
    MSG_NO_WITNESSED_CHECKPOINT,
    witness_cosignature_add,
)

router = Router(tags=["防篡改日志"])

# Proofs and entries below a signed size never change: clients and proxies may keep them.
IMMUTABLE = "public, max-age=31536000, immutable"


def _b64(value) -> str:
    # A row edited by hand may come back as text instead of bytes; serve it as stored so the verifier can say so.
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


class EntryOut(Schema):
    index: int
    type: str
    entry: str
    leaf_hash: str


class EntriesOut(Schema):
    entries: list[EntryOut]
    next: int | None


class InclusionOut(Schema):
    leaf_index: int
    tree_size: int
    proof: list[str]


class CosignaturesOut(Schema):
    tree_size: int
    stored: list[str]


class ConsistencyOut(Schema):
    old_size: int
    new_size: int
    proof: list[str]


@router.get("/checkpoint", summary="最新签名检查点及见证签名（C2SP signed note，text/plain）；"
                                   "X-Log-Entries-Behind 为此后追加、尚未签名的条目数")
@errors(log_no_checkpoint=404)
def checkpoint(request):
    # Read-only: the worker signs about a second after the log grows (transparency.tasks); a GET never writes.
    served = selectors.checkpoint_served()
    if served.checkpoint is None:
        raise NotFound(MSG_NO_CHECKPOINT, code="log_no_checkpoint")
    response = HttpResponse(selectors.cosigned_note(served.checkpoint), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Log-Entries-Behind"] = str(served.entries_behind)
    return response


@router.get("/checkpoint/witnessed", summary="最新一个达到见证法定数的检查点及其见证签名（text/plain）")
@errors(log_no_witnessed_checkpoint=404)
def checkpoint_witnessed(request):
    signed = selectors.checkpoint_latest_witnessed()
    if signed is None:
        raise NotFound(MSG_NO_WITNESSED_CHECKPOINT, code="log_no_witnessed_checkpoint")
    response = HttpResponse(selectors.cosigned_note(signed), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@router.get("/entries", response=EntriesOut, summary="日志条目 [start, end)，每页最多1000条")
@errors(log_range_invalid=400)
def entries(request, start: Index = 0, end: Index | None = None):
    rows, next_index = selectors.entries_page(start=start, end=end)
    return EntriesOut(
        entries=[EntryOut(index=row.index, type=row.event_type, entry=_b64(row.entry), leaf_hash=_b64(row.leaf_hash))
                 for row in rows],
        next=next_index,
    )


@router.get("/proof/inclusion", response=InclusionOut, summary="包含证明（RFC 9162 §2.1.3）")
@errors(log_range_invalid=400)
def proof_inclusion(request, leaf_index: Index, tree_size: Index, response: HttpResponse):
    proof = selectors.inclusion_proof(leaf_index=leaf_index, tree_size=tree_size)
    response["Cache-Control"] = IMMUTABLE
    return InclusionOut(leaf_index=leaf_index, tree_size=tree_size, proof=[_b64(h) for h in proof])


@router.get("/proof/consistency", response=ConsistencyOut, summary="一致性证明（RFC 9162 §2.1.4）")
@errors(log_range_invalid=400)
def proof_consistency(request, old_size: Index, new_size: Index, response: HttpResponse):
    proof = selectors.consistency_proof(old_size=old_size, new_size=new_size)
    response["Cache-Control"] = IMMUTABLE
    return ConsistencyOut(old_size=old_size, new_size=new_size, proof=[_b64(h) for h in proof])


@router.get("/receipts/{int:leaf_index}",
            summary="条目回执（C2SP tlog-proof，text/plain）；witnessed=true 时针对最新已见证的检查点")
@errors(log_entry_not_covered=404)
def receipt(request, leaf_index: Index, witnessed: bool = False):
    text = selectors.receipt_for(leaf_index=leaf_index, witnessed=witnessed).format()
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@router.get("/verifier-keys", response=list[str], summary="检查点验证公钥（C2SP vkey）")
def verifier_keys(request):
    return selectors.published_verifier_keys()


@router.get("/trust-policy", summary="yingdu-verify --witness-policy 信任策略文件（须与线下获得的副本核对，text/plain）")
def trust_policy(request):
    return HttpResponse(selectors.published_trust_policy(), content_type="text/plain; charset=utf-8")


@router.get("/key-rotations", response=list[str], summary="密钥轮换声明（旧密钥签名的 signed note，按顺序）")
def key_rotations(request):
    return key_rotation_statements()


@router.post("/cosignatures", response=CosignaturesOut,
             summary="提交见证签名：请求体为带本日志签名和见证签名行的检查点（C2SP tlog-cosignature，text/plain）",
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"text/plain": {"schema": {"type": "string",
                                                                                 "maxLength": TEXT_MAX_LENGTH,
                                                                                 "pattern": NO_NUL}}}}})
@errors(cosigned_note_invalid=400, witness_unknown=403)
def cosignatures(request):
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(MSG_COSIGNED_NOTE_INVALID, code="cosigned_note_invalid",
                          detail={"reason": "the body is not UTF-8 text"}) from None
    if len(text) > TEXT_MAX_LENGTH or "\x00" in text:
        raise DomainError(MSG_COSIGNED_NOTE_INVALID, code="cosigned_note_invalid",
                          detail={"reason": f"longer than {TEXT_MAX_LENGTH} characters or holds NUL"})
    added = witness_cosignature_add(signed_note_text=text, now=timezone.now())
    return CosignaturesOut(tree_size=added.checkpoint.tree_size, stored=[row.witness_name for row in added.stored])
