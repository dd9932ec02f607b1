"""Every write of oversight: the quarterly draw, spot-check case steps, findings, and the fraud decision."""

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yingdu.accounts.selectors import organisation_member_emails, user_roles
from yingdu.actors import SYSTEM, actor_user_id
from yingdu.duties.cases import spot_check_case
from yingdu.duties.services import require_independent
from yingdu.enterprises.services import enterprise_disqualify
from yingdu.enterprises.workflow import TRANSITIONS as ENTERPRISE_TRANSITIONS
from yingdu.errors import Conflict, DomainError, Forbidden
from yingdu.files import store_upload
from yingdu.notices.services import objection_window_for
from yingdu.policy.selectors import policy_version_require_in_force, work_calendar
from yingdu.rules.money import Money
from yingdu.tlog.witness import COMMITMENT_PATH, REVEAL_PATH, fetch_draw_statement
from yingdu.transparency.keys import configured_witnesses, log_origin, witness_quorum
from yingdu.transparency.models import SignedCheckpoint
from yingdu.transparency.selectors import cosigned_note, entries_page, inclusion_proof
from yingdu.transparency.services import log_append, log_lock
from yingdu.vouchers.models import Voucher
from yingdu.vouchers.selectors import revocation_amounts
from yingdu.vouchers.services import voucher_revoke
from yingdu.vouchers.workflow import VOUCHER_TRANSITIONS

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
    check_event,
    deadlines_recomputed_event,
    draw_commitment_event,
    draw_event,
    evidence_event,
    finding_event,
    fraud_confirmed_event,
    fraud_declined_event,
    note_event,
    notice_event,
    response_event,
)
from .models import (
    AuditNotice,
    AuditNoticeKind,
    CaseCheckItem,
    CaseEvidence,
    CaseFinding,
    CaseNote,
    CaseResponse,
    CaseStatus,
    CheckItemResult,
    DrawCommitment,
    FindingOutcome,
    FindingStatus,
    SpotCheckCase,
    SpotCheckDraw,
)
from .workflow import AUDIT_STAFF_ROLES, CASE_ACTIONS, CASE_DUE_WORKING_DAYS, CHECKLIST, OUTCOME_STATUS

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVIDENCE_CATEGORY = "spot_checks"

MSG_ROLE = _("只有审计员或系统管理员可以执行此操作")
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
MSG_CASE_STATUS = _("案件当前状态为“{status}”，不能执行此操作")
MSG_CHECK_CODE = _("检查项“{code}”不在清单中")
MSG_CHECK_RESULT = _("检查结果只能是待检查、相符或有问题")
MSG_TEXT_REQUIRED = _("请填写{label}")
MSG_NOT_MEMBER = _("只有被检查企业的成员可以提交说明")
MSG_RESPONSE_LATE = _("说明期已于 {deadline} 结束（通知后第 {days} 个工作日），逾期不予受理")
MSG_OUTCOME_INVALID = _("检查结论只能是合规、存在问题或欺诈")
MSG_CORRECTIVE_REQUIRED = _("结论为“存在问题”时须写明整改要求")
MSG_FINDING_NOT_PENDING = _("该结论不在待复核状态")
MSG_FOUR_EYES = _("欺诈认定须由记录人以外的另一名审计员或系统管理员复核确认")


def _require_staff(actor) -> None:
    if actor is None or not (user_roles(actor) & AUDIT_STAFF_ROLES):
        raise Forbidden(MSG_ROLE, code="role_not_allowed")


def _require_text(text, *, field: str, label: str, max_length: int = 10000) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(str(MSG_TEXT_REQUIRED).format(label=label), code="field_required", field=field)
    return text[:max_length]


def _lock_case(case: SpotCheckCase, action: str, *, staff=None, now: datetime | None = None) -> SpotCheckCase:
    """Lock a case for an action; a staff member linked to its enterprise or providers, or recused, is refused."""
    if staff is not None:
        require_independent(staff, spot_check_case(case), now=now)
    locked = SpotCheckCase.objects.select_for_update(of=("self",)).select_related(
        "enterprise", "draw", "work").get(pk=case.pk)
    if locked.status not in CASE_ACTIONS[action]:
        raise Conflict(str(MSG_CASE_STATUS).format(status=locked.get_status_display()), code="case_status",
                       detail={"status": locked.status, "action": action})
    return locked


def _send_notice_email(notice_id: int) -> None:
    notice = AuditNotice.objects.select_related("enterprise__organisation").get(pk=notice_id)
    recipients = organisation_member_emails(notice.enterprise.organisation_id)
    if not recipients:
        return
    try:
        send_mail(f"【影都算力券】{notice.get_kind_display()}（抽查案件 {notice.case_id}）", notice.message,
                  settings.DEFAULT_FROM_EMAIL, recipients)
    except OSError:
        logger.exception("audit notice e-mail %s failed", notice_id)
        return
    AuditNotice.objects.filter(pk=notice_id).update(emailed=True)


def _notify(*, case: SpotCheckCase, kind: str, message: str, now: datetime) -> dict:
    """An in-app notice to the enterprise and, after commit, the same by e-mail; returns its audits.notice entry,
    for the caller to append after the entry of the step that sends it."""
    notice = AuditNotice.objects.create(enterprise=case.enterprise, case=case, kind=kind, message=message,
                                        created_at=now)
    transaction.on_commit(lambda: _send_notice_email(notice.pk))
    return notice_event(notice)


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
        entries.append(case_opened_event(case))
        entries.append(_notify(case=case, kind=AuditNoticeKind.CASE_OPENED, now=now, message=(
            f"您的作品《{work.title}》在 {draw.quarter} 季度抽查中被抽中（抽查案件 {case.pk}）。"
            f"请于 {case.response_deadline_on.isoformat()}{'（预计，官方放假安排发布后重新计算）' if window.provisional else ''}"
            f" 前在平台提交书面说明和证明材料"
            f"（用量与服务商作业日志、上线证明、出海证明、发票）。检查截止日 {due_on.isoformat()}。")))
    return entries


# --- case steps -------------------------------------------------------------------------------------------------


def case_check_update(*, case: SpotCheckCase, code: str, result: str, note: str, actor, now: datetime
                      ) -> CaseCheckItem:
    """Record the result of one checklist item."""
    _require_staff(actor)
    if result not in CheckItemResult.values:
        raise DomainError(MSG_CHECK_RESULT, code="check_result_invalid", field="result")
    note = (note or "").strip()[:10000]
    with transaction.atomic():
        locked = _lock_case(case, "check", staff=actor, now=now)
        item = locked.check_items.select_for_update().filter(code=code).first()
        if item is None:
            raise DomainError(str(MSG_CHECK_CODE).format(code=code), code="check_code_unknown", field="code")
        item.result, item.note, item.checked_by, item.checked_at = result, note, actor, now
        item.save(update_fields=["result", "note", "checked_by", "checked_at"])
        log_append(events=[check_event(locked, item, actor=actor)], now=now)
    return item


def _evidence_create(*, case: SpotCheckCase, upload, check_code: str, actor, now: datetime,
                     by_enterprise: bool) -> CaseEvidence:
    stored = store_upload(upload=upload, category=EVIDENCE_CATEGORY)
    evidence = CaseEvidence.objects.create(
        case=case, check_code=check_code, sha256=stored.sha256, content_type=stored.content_type, size=stored.size,
        filename=(getattr(upload, "name", "") or "evidence")[-200:], uploaded_by=actor, uploaded_at=now,
        by_enterprise=by_enterprise)
    log_append(events=[evidence_event(case, evidence, actor=actor)], now=now)
    return evidence


def case_evidence_upload(*, case: SpotCheckCase, upload, check_code: str = "", actor, now: datetime) -> CaseEvidence:
    """Staff attach an evidence file to the case (optionally to one checklist item)."""
    _require_staff(actor)
    if check_code and check_code not in dict(CHECKLIST):
        raise DomainError(str(MSG_CHECK_CODE).format(code=check_code), code="check_code_unknown", field="check_code")
    with transaction.atomic():
        locked = _lock_case(case, "evidence", staff=actor, now=now)
        return _evidence_create(case=locked, upload=upload, check_code=check_code, actor=actor, now=now,
                                by_enterprise=False)


def case_note_add(*, case: SpotCheckCase, text: str, actor, now: datetime) -> CaseNote:
    """A staff note on the case."""
    _require_staff(actor)
    text = _require_text(text, field="text", label="备注")
    with transaction.atomic():
        locked = _lock_case(case, "note", staff=actor, now=now)
        note = CaseNote.objects.create(case=locked, text=text, author=actor, at=now)
        log_append(events=[note_event(locked, note, actor=actor)], now=now)
    return note


def case_response_file(*, case: SpotCheckCase, text: str, evidence: list, actor, now: datetime) -> CaseResponse:
    """The enterprise's written response with evidence, until the end of the policy's objection window."""
    if actor is None or not selectors.case_is_member(actor, case):
        raise Forbidden(MSG_NOT_MEMBER, code="not_enterprise_member")
    text = _require_text(text, field="text", label="书面说明")
    today = timezone.localdate(now)
    # a provisional deadline is never held against the enterprise (DESIGN §5)
    if not case.response_deadline_provisional and today > case.response_deadline_on:
        raise Conflict(str(MSG_RESPONSE_LATE).format(deadline=case.response_deadline_on.isoformat(),
                                                     days=case.response_window_working_days),
                       code="response_late", detail={"deadline_on": case.response_deadline_on.isoformat()})
    with transaction.atomic():
        locked = _lock_case(case, "respond")
        response = CaseResponse.objects.create(case=locked, text=text, filed_by=actor, filed_at=now)
        log_append(events=[response_event(locked, response, actor=actor)], now=now)
        for upload in evidence or []:
            _evidence_create(case=locked, upload=upload, check_code="", actor=actor, now=now, by_enterprise=True)
    return response


# --- findings and the fraud decision ----------------------------------------------------------------------------


def case_finding_record(*, case: SpotCheckCase, outcome: str, summary: str, corrective_action: str = "", actor,
                        now: datetime) -> CaseFinding:
    """Record the finding. Compliant or issues (with the corrective action) close the case and notify the
    enterprise; fraud waits for a second staff member's confirmation and changes nothing else yet."""
    _require_staff(actor)
    if outcome not in FindingOutcome.values:
        raise DomainError(MSG_OUTCOME_INVALID, code="finding_outcome_invalid", field="outcome")
    summary = _require_text(summary, field="summary", label="检查结论说明")
    corrective_action = (corrective_action or "").strip()[:10000]
    if outcome == FindingOutcome.ISSUES and not corrective_action:
        raise DomainError(MSG_CORRECTIVE_REQUIRED, code="corrective_action_required", field="corrective_action")
    pending = outcome == FindingOutcome.FRAUD
    with transaction.atomic():
        locked = _lock_case(case, "record_finding", staff=actor, now=now)
        finding = CaseFinding.objects.create(
            case=locked, outcome=outcome, summary=summary, corrective_action=corrective_action,
            status=FindingStatus.PENDING_CONFIRMATION if pending else FindingStatus.FINAL,
            recorded_by=actor, recorded_at=now)
        locked.status = OUTCOME_STATUS[outcome]
        if not pending:
            locked.closed_at = now
        locked.save(update_fields=["status", "closed_at"])
        entries = [finding_event(locked, finding, actor=actor)]
        if not pending:
            action = f"整改要求：{corrective_action}" if corrective_action else "无须整改。"
            entries.append(_notify(case=locked, kind=AuditNoticeKind.FINDING, now=now, message=(
                f"抽查案件 {locked.pk}（作品《{locked.work.title}》）检查结论：{finding.get_outcome_display()}。"
                f"{summary} {action}")))
        log_append(events=entries, now=now)
    return finding


def _lock_pending_finding(finding: CaseFinding) -> CaseFinding:
    locked = CaseFinding.objects.select_for_update(of=("self",)).select_related("case").get(pk=finding.pk)
    if locked.status != FindingStatus.PENDING_CONFIRMATION:
        raise Conflict(MSG_FINDING_NOT_PENDING, code="finding_not_pending")
    return locked


def _revocable_vouchers(enterprise) -> list[Voucher]:
    """The enterprise's vouchers that can be revoked, locked (in id order) to the end of the transaction."""
    sources, _target = VOUCHER_TRANSITIONS["revoke"]
    return list(Voucher.objects.select_for_update().filter(enterprise=enterprise, status__in=sources).order_by("id"))


def case_fraud_confirm(*, finding: CaseFinding, reason: str, actor, now: datetime) -> CaseFinding:
    """A second staff member confirms a fraud finding: every revocable voucher of the enterprise is revoked
    (voucher_revoke, source fraud_case:<case id>: balance voided, redeemed value claimed back) and the enterprise is
    disqualified from today with the finding as reason; the enterprise is told. All or nothing."""
    _require_staff(actor)
    reason = _require_text(reason, field="reason", label="复核意见")
    with transaction.atomic():
        locked = _lock_pending_finding(finding)
        if locked.recorded_by_id == actor.pk:
            raise Forbidden(MSG_FOUR_EYES, code="four_eyes")
        case = _lock_case(locked.case, "review_fraud", staff=actor, now=now)
        enterprise = case.enterprise
        source = f"fraud_case:{case.pk}"
        revoke_reason = f"抽查案件 {case.pk} 认定欺诈：{locked.summary}"
        effective_on = timezone.localdate(now)
        # the decision first (cause before effect): what it revokes, worked out with the vouchers locked
        vouchers = _revocable_vouchers(enterprise)
        planned = [revocation_amounts(voucher) for voucher in vouchers]
        disqualified = enterprise.state in ENTERPRISE_TRANSITIONS["disqualify"].sources
        locked.status, locked.reviewed_by, locked.reviewed_at = FindingStatus.CONFIRMED, actor, now
        locked.review_reason = reason
        locked.revoked_vouchers = [voucher.number for voucher in vouchers]
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason", "revoked_vouchers"])
        case.status, case.closed_at = CaseStatus.CLOSED_FRAUD, now
        case.save(update_fields=["status", "closed_at"])
        log_append(events=[fraud_confirmed_event(
            case, locked, actor=actor, voided_fen=sum(amounts.voided_fen for amounts in planned),
            claimed_fen=sum(amounts.claimed_fen for amounts in planned), disqualified=disqualified,
            effective_on=effective_on)], now=now)
        # then its effects: each revocation, then the disqualification
        revocations = [voucher_revoke(voucher=voucher, reason=revoke_reason, actor=actor, now=now, source=source)
                       for voucher in vouchers]
        if [(r.voided_fen, r.claimed_fen) for r in revocations] != [(a.voided_fen, a.claimed_fen) for a in planned]:
            raise RuntimeError("the revocations moved other amounts than the logged decision")
        if disqualified:
            enterprise_disqualify(enterprise=enterprise, actor=actor, reason=revoke_reason, effective_on=effective_on,
                                  now=now)
        claimed = sum(r.claimed_fen for r in revocations)
        notice = _notify(case=case, kind=AuditNoticeKind.FRAUD_CONFIRMED, now=now, message=(
            f"抽查案件 {case.pk}（作品《{case.work.title}》）经两名工作人员认定存在欺诈：{locked.summary} "
            f"自 {timezone.localdate(now).isoformat()} 起取消贵企业的申报资格，撤销算力券 "
            f"{'、'.join(locked.revoked_vouchers) or '（无可撤销的算力券）'}，未使用余额作废"
            f"{f'，已核销的 {Money(claimed).format_display()} 元须退回' if claimed else ''}。如有异议，可书面申请重新决定。"))
        log_append(events=[notice], now=now)
    return locked


def case_fraud_decline(*, finding: CaseFinding, reason: str, actor, now: datetime) -> CaseFinding:
    """The second staff member does not confirm the fraud finding: it lapses and the case is open again."""
    _require_staff(actor)
    reason = _require_text(reason, field="reason", label="复核意见")
    with transaction.atomic():
        locked = _lock_pending_finding(finding)
        case = _lock_case(locked.case, "review_fraud", staff=actor, now=now)
        locked.status, locked.reviewed_by, locked.reviewed_at = FindingStatus.DECLINED, actor, now
        locked.review_reason = reason
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_reason"])
        case.status = CaseStatus.OPEN
        case.save(update_fields=["status"])
        log_append(events=[fraud_declined_event(case, locked, actor=actor)], now=now)
    return locked


def case_deadlines_recompute(*, now: datetime) -> list:
    """Recompute the provisional dates of spot-check cases that the official calendar can now answer; log each and
    tell the enterprise its response deadline. Responses filed meanwhile stay accepted."""
    from yingdu.policy.selectors import DeadlineMove
    from yingdu.rules.workdays import CalendarYearMissing

    calendar = work_calendar()
    moves = []
    cases = SpotCheckCase.objects.filter(models.Q(due_on_provisional=True) | models.Q(response_deadline_provisional=True))
    for case in cases.select_related("work", "enterprise"):
        try:
            due_on = calendar.add_working_days(start_on=case.opened_on, working_days=case.due_working_days)
            response_on = calendar.add_working_days(start_on=case.opened_on,
                                                    working_days=case.response_window_working_days)
        except CalendarYearMissing:
            continue
        if calendar.is_provisional(case.opened_on, due_on, response_on):
            continue
        previous = case.response_deadline_on
        with transaction.atomic():
            case.due_on, case.response_deadline_on = due_on, response_on
            case.due_on_provisional = case.response_deadline_provisional = False
            case.save(update_fields=["due_on", "response_deadline_on", "due_on_provisional",
                                     "response_deadline_provisional"])
            notice = _notify(case=case, kind=AuditNoticeKind.DEADLINE_RECOMPUTED, now=now, message=(
                f"抽查案件 {case.pk}（作品《{case.work.title}》）的说明截止日原按法定节假日推算为 {previous.isoformat()}"
                f"（预计），现按官方日历确定为 {response_on.isoformat()}。此前提交的说明均已受理。"))
            log_append(events=[deadlines_recomputed_event(case, now=now, actor=SYSTEM,
                                                          previous_response_deadline_on=previous), notice], now=now)
        moves.append(DeadlineMove(what=f"抽查案件 {case.pk} 说明截止日（{case.work.title}）",
                                  enterprise_id=case.enterprise_id, previous_on=previous, deadline_on=response_on,
                                  url=reverse("audits:case_detail", args=[case.pk])))
    return moves
