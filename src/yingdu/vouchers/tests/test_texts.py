"""Wallet notices and ledger reasons read in the page's language: the stored Chinese text in Chinese, the same
sentence built from the row's kind and the rows it points to in English."""

from datetime import date

from django.utils import translation

from yingdu.vouchers.models import TransferKind, VoucherNotice
from yingdu.vouchers.services import voucher_expire
from yingdu.vouchers.texts import notice_text, transfer_text

from .conftest import at, issue


def test_an_issued_voucher_reads_in_chinese_as_stored_and_in_english_from_its_rows(voucher_policy, enterprise,
                                                                                  approver):
    voucher = issue(enterprise, approver, amount_fen=1_234_500)
    notice = VoucherNotice.objects.get(voucher=voucher)
    transfer = voucher.transfers.get(kind=TransferKind.ISSUE)
    with translation.override("zh-hans"):
        assert notice_text(notice) == notice.message and "已发放" in notice.message
        assert transfer_text(transfer) == transfer.reason == f"发放算力券 {voucher.number}"
    with translation.override("en"):
        assert notice_text(notice) == (f"Compute voucher {voucher.number} issued, face value 12,345.00 yuan, "
                                       f"valid until {voucher.expires_on.isoformat()}.")
        assert transfer_text(transfer) == f"Compute voucher {voucher.number} issued"


def test_an_expired_voucher_names_the_balance_returned_in_english(voucher_policy, enterprise, approver):
    voucher = issue(enterprise, approver, amount_fen=500_000)
    day_after = date.fromordinal(voucher.expires_on.toordinal() + 1)
    assert voucher_expire(voucher=voucher, today=day_after, now=at(day_after))
    notice = VoucherNotice.objects.get(voucher=voucher, kind="expired")
    transfer = voucher.transfers.get(kind=TransferKind.EXPIRE)
    with translation.override("en"):
        assert notice_text(notice) == (f"Compute voucher {voucher.number} expired on {voucher.expires_on.isoformat()}; "
                                       "the unused balance of 5,000.00 yuan was returned.")
        assert transfer_text(transfer) == (f"Compute voucher {voucher.number} expired; the balance returns to the "
                                           "year's budget")
