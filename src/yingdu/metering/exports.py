"""Excel export of usage records, written through yingdu.xlsx (numbers, dates, no formulas)."""

from decimal import Decimal

from yingdu.i18n import in_chinese
from yingdu.xlsx import table_workbook

from .models import RecordStatus
from .selectors import sku_names


@in_chinese
def usage_records_workbook(records) -> bytes:
    """One row per record as the records page shows it, with the exact cost in fen (6 decimals)."""
    statuses = dict(RecordStatus.choices)
    records = list(records)
    names = sku_names((r.provider_id, r.sku) for r in records)
    return table_workbook("用量记录", ["日志序号", "服务商", "记录编号", "统一社会信用代码", "项目标签", "作品", "服务", "SKU",
                                   "数量", "开始时间", "结束时间", "状态", "单价（分）", "费用（分）"], [
        [r.log_index, r.provider.name, r.record_id, r.enterprise_uscc, r.project_tag,
         r.attributed_work.title if r.attributed_work else "", names.get((r.provider_id, r.sku), ""), r.sku,
         r.quantity,
         r.started_at, r.ended_at, statuses.get(r.status, r.status), r.price_fen,
         Decimal(r.cost_microfen).scaleb(-6)]
        for r in records])
