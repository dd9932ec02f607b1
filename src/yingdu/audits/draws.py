"""The quarterly spot-check draw: the witnesses' commitments, the seed, the draw and the cases it opens (split from
services.py, which keeps the steps of a case)."""

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.actors import SYSTEM, actor_user_id
from yingdu.documents.models import DocumentKind
from yingdu.documents.services import document_number_issue
from yingdu.errors import Conflict, DomainError
from yingdu.notices.services import objection_window_for
from yingdu.policy.selectors import policy_version_require_in_force, work_calendar
from yingdu.tlog.witness import COMMITMENT_PATH, REVEAL_PATH, fetch_draw_statement
from yingdu.transparency.keys import configured_witnesses, log_origin, witness_quorum
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import cosigned_note, entries_page, inclusion_proof
from yingdu.transparency.services import log_append, log_lock

from . import selectors
from .draw import (
    DrawError,
    Quarter,
    commitment_open,
    cosigned_before,
    draw_choose,
    quarter_end_size,
    reveal_matches,
    reveal_open,
    witnessed_seed,
)
from .events import (
    case_opened_event,
    draw_commitment_event,
    draw_event,
)
from .models import (
    AuditNoticeKind,
    CaseCheckItem,
    DrawCommitment,
    SpotCheckCase,
    SpotCheckDraw,
)
from .services import _notify, _require_staff
from .workflow import CASE_DUE_WORKING_DAYS, CHECKLIST

SHANGHAI = ZoneInfo("Asia/Shanghai")
MSG_QUARTER_INVALID = _("季度格式应为 2026Q3")
MSG_QUARTER_NOT_ENDED = _("{quarter} 尚未结束（北京时间 {end} 结束），不能抽签")
MSG_DRAW_EXISTS = _("{quarter} 已经抽过签，每季度只抽一次")
MSG_NO_CHECKPOINT = _("{quarter} 结束时（{end}）还没有已签名的检查点，无法确定随机种子")
MSG_COMMITMENTS_MISSING = _("{quarter} 只有 {count} 个见证方事先提交了承诺值，少于要求的 {quorum} 个，无法进行"
                            "不可操纵的抽签")
MSG_REVEALS_PENDING = _("{quarter} 还有见证方未公开承诺值（等待至北京时间 {until}）")
MSG_REVEALS_MISSING = _("{quarter} 只有 {count} 个见证方公开了承诺值，少于要求的 {quorum} 个")
MSG_WITNESSES_DISAGREE = _("见证方给出的季度末检查点不一致：{error}")
MSG_CHECKPOINT_UNWITNESSED = _("季度末检查点（树大小 {size}）在季度结束前只有 {count} 个见证方联署，少于要求的 {quorum} 个")

logger = logging.getLogger(__name__)


# --- the draw ---------------------------------------------------------------------------------------------------


def draw_commitments_collect(*, quarter: str, now: datetime) -> list[DrawCommitment]:
    """Fetch each configured witness's signed commitment for a quarter's draw and append those not yet recorded
    (audits.draw_commitment); an unreachable witness or a bad answer is logged and tried again on the next run."""
    parsed = Quarter.parse(quarter)
    origin = log_origin()
    recorded = []
    for witness in configured_witnesses():
        key_text = witness.key.format()
        if DrawCommitment.objects.filter(quarter=str(parsed), witness_key=key_text).exists():
            continue
        try:
            answer = fetch_draw_statement(url=witness.url, path=COMMITMENT_PATH, origin=origin, quarter=str(parsed),
                                          timeout=settings.LOG_WITNESS_TIMEOUT_SECONDS)
            if answer.status != 200:
                raise DrawError(f"HTTP {answer.status}: {answer.body[:200]}")
            opened = commitment_open(answer.body, witness=witness.key)
            if (opened.origin, opened.quarter) != (origin, parsed):
                raise DrawError(f"the commitment is for {opened.origin} {opened.quarter}")
        except (OSError, ValueError) as error:  # DrawError is a ValueError; unreachable witnesses raise OSError
            logger.warning("draw commitment of %s for %s not recorded: %s", witness.key.name, parsed, error)
            continue
        try:
            with transaction.atomic():
                log_index = log_lock().tree_size
                row = DrawCommitment.objects.create(quarter=str(parsed), witness_key=key_text,
                                                    commitment=opened.digest.hex(), statement=answer.body,
                                                    recorded_at=now, log_index=log_index)
                log_append(events=[draw_commitment_event(row)], now=now)
        except IntegrityError:
            continue  # a concurrent run recorded it
        recorded.append(row)
    return recorded


@dataclass(frozen=True)
class _WitnessedSeed:
    checkpoint: SignedCheckpoint
    checkpoint_note: str
    seed: bytes
    commitments: list[dict]
    reveals: list[dict]
    withheld: list[str]


def _draw_witnessed_seed(*, quarter: Quarter, now: datetime, quorum: int) -> _WitnessedSeed:
    """Collect the committed witnesses' reveals and fix the quarter-end checkpoint and the seed (yingdu.audits.draw);
    refuses while a committed witness has not revealed and the wait is not over, or when the quorum is not met."""
    end_at = datetime.fromtimestamp(quarter.end_timestamp, SHANGHAI)
    urls = {witness.key.format(): witness for witness in configured_witnesses()}
    rows = [row for row in DrawCommitment.objects.filter(quarter=str(quarter)).order_by("witness_key")
            if row.witness_key in urls]
    detail = {"quarter": str(quarter), "quorum": quorum}
    if len(rows) < quorum:
        raise Conflict(str(MSG_COMMITMENTS_MISSING).format(quarter=quarter, count=len(rows), quorum=quorum),
                       code="draw_commitments_missing", detail={**detail, "committed": len(rows)})
    origin = log_origin()
    reveals = {}
    for row in rows:
        witness = urls[row.witness_key]
        try:
            answer = fetch_draw_statement(url=witness.url, path=REVEAL_PATH, origin=origin, quarter=str(quarter),
                                          timeout=settings.LOG_WITNESS_TIMEOUT_SECONDS)
            if answer.status != 200:
                raise DrawError(f"HTTP {answer.status}: {answer.body[:200]}")
            reveal = reveal_open(answer.body, witness=witness.key)
            reveal_matches(reveal, commitment_open(row.statement, witness=witness.key))
        except (OSError, ValueError) as error:
            logger.warning("draw reveal of %s for %s not usable: %s", witness.key.name, quarter, error)
            continue
        reveals[row.witness_key] = (reveal, answer.body)
    wait_until = end_at + timedelta(hours=settings.DRAW_REVEAL_WAIT_HOURS)
    if len(reveals) < len(rows) and now < wait_until:
        raise Conflict(str(MSG_REVEALS_PENDING).format(quarter=quarter, until=wait_until.strftime("%Y-%m-%d %H:%M")),
                       code="draw_reveals_pending", detail={**detail, "wait_until": wait_until.isoformat()})
    # Only commitments inside the quarter-end checkpoint count; dropping one may change that checkpoint, so repeat.
    included = rows
    while True:
        if len([row for row in included if row.witness_key in reveals]) < quorum:
            count = len([row for row in included if row.witness_key in reveals])
            raise Conflict(str(MSG_REVEALS_MISSING).format(quarter=quarter, count=count, quorum=quorum),
                           code="draw_reveals_missing", detail={**detail, "revealed": count})
        try:
            size, root = quarter_end_size([reveals[row.witness_key][0] for row in included
                                           if row.witness_key in reveals])
        except DrawError as error:
            raise Conflict(str(MSG_WITNESSES_DISAGREE).format(error=error), code="draw_witnesses_disagree",
                           detail=detail) from None
        still = [row for row in included if row.log_index < size]
        if still == included:
            break
        included = still
    checkpoint = SignedCheckpoint.objects.filter(tree_size=size).first()
    if checkpoint is None or bytes(checkpoint.root_hash) != root:
        raise DomainError(str(MSG_NO_CHECKPOINT).format(quarter=quarter, end=end_at.strftime("%Y-%m-%d %H:%M")),
                          code="draw_no_checkpoint", status=409, detail={**detail, "tree_size": size})
    note = cosigned_note(checkpoint)
    # counted among the committed witnesses, as `yingdu-verify draw` does without a pinned policy
    cosigners = cosigned_before(note, witnesses=[urls[row.witness_key].key for row in included],
                                end=quarter.end_timestamp)
    if len(cosigners) < quorum:
        raise Conflict(str(MSG_CHECKPOINT_UNWITNESSED).format(size=size, count=len(cosigners), quorum=quorum),
                       code="draw_checkpoint_unwitnessed", detail={**detail, "tree_size": size})
    commitments = []
    for row in included:
        entry = entries_page(start=row.log_index, end=row.log_index + 1)[0][0]
        commitments.append({
            "witness": row.witness_key, "statement": row.statement, "log_index": row.log_index,
            "entry": base64.b64encode(bytes(entry.entry)).decode("ascii"),
            "inclusion_proof": [base64.b64encode(h).decode("ascii")
                                for h in inclusion_proof(leaf_index=row.log_index, tree_size=size)]})
    revealed = [reveals[row.witness_key] for row in included if row.witness_key in reveals]
    return _WitnessedSeed(
        checkpoint=checkpoint, checkpoint_note=note,
        seed=witnessed_seed(root_hash=root, reveals=[reveal for reveal, _text in revealed]),
        commitments=commitments,
        reveals=[{"witness": reveal.witness.format(), "statement": text} for reveal, text in revealed],
        withheld=sorted(row.witness_key for row in included if row.witness_key not in reveals))


def draw_run(*, quarter: str, actor, now: datetime) -> SpotCheckDraw:
    """Draw the quarter's sample once, after the quarter ended, and open a case for each drawn work.

    ``actor=SYSTEM`` is the platform (`yingdu audit draw`). With a witness quorum (YINGDU_LOG_WITNESS_QUORUM, by
    default every configured witness) the seed is SHA-256(root of the quarter-end checkpoint the witnesses name ||
    their revealed values), each committed in advance (`draw_commitments_collect`); without witnesses it is the root
    of the latest checkpoint signed at or before the quarter's end, and the draw says it is NOT ungrindable. See
    yingdu.audits.draw and docs/decisions.md.
    """
    if actor is not SYSTEM:
        _require_staff(actor)
    try:
        parsed = Quarter.parse(quarter)
    except DrawError:
        raise DomainError(MSG_QUARTER_INVALID, code="quarter_invalid", field="quarter") from None
    start_at = datetime.combine(parsed.first_day, time.min, SHANGHAI)
    end_at = datetime.combine(parsed.day_after, time.min, SHANGHAI)
    end_text = end_at.strftime("%Y-%m-%d %H:%M")
    if now < end_at:
        raise Conflict(str(MSG_QUARTER_NOT_ENDED).format(quarter=parsed, end=end_text), code="quarter_not_ended",
                       detail={"quarter": str(parsed), "ends_at": end_at.isoformat()})
    if SpotCheckDraw.objects.filter(quarter=str(parsed)).exists():
        raise Conflict(str(MSG_DRAW_EXISTS).format(quarter=parsed), code="draw_exists")
    quorum = witness_quorum()
    witnessed = _draw_witnessed_seed(quarter=parsed, now=now, quorum=quorum) if quorum else None
    if witnessed is not None:
        checkpoint, checkpoint_note, seed = witnessed.checkpoint, witnessed.checkpoint_note, witnessed.seed
    else:
        checkpoint = selectors.checkpoint_at(end_at)
        if checkpoint is None:
            raise DomainError(str(MSG_NO_CHECKPOINT).format(quarter=parsed, end=end_text),
                              code="draw_no_checkpoint", status=409,
                              detail={"quarter": str(parsed), "ends_at": end_at.isoformat()})
        checkpoint_note, seed = checkpoint.note, bytes(checkpoint.root_hash)
    policy = policy_version_require_in_force(on=parsed.last_day)
    rule = selectors.draw_candidate_rule(policy)
    sample_rate = format(policy.spot_check_sample_rate, "f")
    today = timezone.localdate(now)
    # computed before writing: a year with no calendar at all refuses the draw rather than guess a date; a
    # provisional year gives provisional dates, labelled and recomputed later
    calendar = work_calendar()
    due_on = calendar.add_working_days(start_on=today, working_days=CASE_DUE_WORKING_DAYS)
    due_on_provisional = calendar.is_provisional(today, due_on)
    window = objection_window_for(delivered_on=today)
    try:
        with transaction.atomic():
            candidates = selectors.draw_candidates(rule=rule, start_at=start_at, end_at=end_at)
            chosen = draw_choose(seed=seed, candidate_ids=candidates,
                                 sample_rate=sample_rate, sample_minimum=policy.spot_check_minimum)
            # the sequencer lock, held to the end of the transaction: the draw's entry is the next one appended, and
            # the draw publishes its index
            log_index = log_lock().tree_size
            draw = SpotCheckDraw.objects.create(
                quarter=str(parsed), quarter_start_at=start_at, quarter_end_at=end_at,
                checkpoint_tree_size=checkpoint.tree_size, checkpoint_root_hash=bytes(checkpoint.root_hash),
                checkpoint_note=checkpoint_note, candidate_rule=rule, policy_version=policy.version_id,
                sample_rate=sample_rate, sample_minimum=policy.spot_check_minimum, candidate_ids=candidates,
                chosen_ids=chosen, drawn_at=now, drawn_by_id=actor_user_id(actor), log_index=log_index,
                ranking_seed=seed, ungrindable=witnessed is not None, witness_quorum=quorum,
                commitments=witnessed.commitments if witnessed else [],
                reveals=witnessed.reveals if witnessed else [], withheld=witnessed.withheld if witnessed else [])
            opened = _cases_open(draw=draw, due_on=due_on, due_on_provisional=due_on_provisional, window=window,
                                 now=now)
            appended = log_append(events=[draw_event(draw, actor=actor), *opened], now=now)
            if appended[0].index != log_index:
                raise RuntimeError(f"the draw's entry is #{appended[0].index}, not #{log_index}")
    except IntegrityError:
        # a concurrent run of the same quarter won the unique index
        raise Conflict(str(MSG_DRAW_EXISTS).format(quarter=parsed), code="draw_exists") from None
    return draw


def draw_auto(*, now: datetime) -> SpotCheckDraw | None:
    """The platform's own draw of the last ended quarter once the policy's working day after its end has come and no
    auditor has drawn it (the periodic task); None when nothing is due."""
    quarter = selectors.draw_auto_due(now=now)
    if quarter is None:
        return None
    try:
        return draw_run(quarter=str(quarter), actor=SYSTEM, now=now)
    except DomainError as error:
        # an auditor's draw in the meantime (draw_exists) or a refusal the page shows too
        logger.warning("automatic draw of %s not made: %s", quarter, error.code)
        return None


def _cases_open(*, draw: SpotCheckDraw, due_on, due_on_provisional: bool, window, now: datetime) -> list[dict]:
    """Open a case for each drawn work; their entries, each case's followed by its notice's."""
    from yingdu.works.models import Work

    works = Work.objects.select_related("enterprise").in_bulk(draw.chosen_ids)
    entries = []
    for rank, work_id in enumerate(draw.chosen_ids, start=1):
        work = works[work_id]
        case = SpotCheckCase.objects.create(
            draw=draw, work=work, enterprise=work.enterprise, rank=rank, opened_at=now,
            opened_on=timezone.localdate(now), due_on=due_on, due_on_provisional=due_on_provisional,
            due_working_days=CASE_DUE_WORKING_DAYS, response_deadline_on=window.deadline_on,
            response_deadline_provisional=window.provisional, response_window_working_days=window.working_days,
            response_policy_version=window.policy_version)
        CaseCheckItem.objects.bulk_create([CaseCheckItem(case=case, code=code, label=label)
                                           for code, label in CHECKLIST])
        document = document_number_issue(kind=DocumentKind.SPOT_CHECK, subject_id=case.pk, now=now)
        entries.append(case_opened_event(case, document=document))
        entries.append(_notify(case=case, kind=AuditNoticeKind.CASE_OPENED, now=now, message=(
            f"{document.number}：您的作品《{work.title}》在 {draw.quarter} 季度抽查中被抽中（抽查案件 {case.pk}）。"
            f"请于 {case.response_deadline_on.isoformat()}{'（预计，官方放假安排发布后重新计算）' if window.provisional else ''}"
            f" 前在平台提交书面说明和证明材料"
            f"（用量与服务商作业日志、上线证明、出海证明、发票）。检查截止日 {due_on.isoformat()}。")))
    return entries
