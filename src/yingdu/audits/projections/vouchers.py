"""Vouchers, ledger transfers, account balances and redemptions, from the vouchers.* entries."""

from collections import defaultdict

from yingdu.vouchers.ledger import CAUSE_FIELDS
from yingdu.vouchers.models import Account, Redemption, RedemptionStatus, Transfer, Voucher, VoucherStatus

from .base import DELETED, Committed, ExpectedRows, Mismatch, MismatchSink, Projection, parse_date, parse_time
from .enterprises import enterprise_salts

VOUCHER_TABLE = Voucher._meta.db_table
TRANSFER_TABLE = Transfer._meta.db_table
ACCOUNT_TABLE = Account._meta.db_table
REDEMPTION_TABLE = Redemption._meta.db_table


class VoucherProjection(Projection):
    tables = {
        VOUCHER_TABLE: (),
        TRANSFER_TABLE: (),
        ACCOUNT_TABLE: ("kind", "side", "year", "enterprise", "provider", "created_at"),
        REDEMPTION_TABLE: ("description",),
    }
    event_prefixes = ("vouchers.",)

    def __init__(self) -> None:
        self.vouchers = ExpectedRows(VOUCHER_TABLE)
        self.transfers = ExpectedRows(TRANSFER_TABLE)
        self.redemptions = ExpectedRows(REDEMPTION_TABLE)
        # balance of each account key: Σ transfers in − Σ transfers out, and the last entry that moved it
        self.balances: dict[str, int] = defaultdict(int)
        self.balance_sources: dict[str, int] = {}
        self.enterprise_of_voucher: dict[int, int] = {}

    def entry(self, index: int, event_type: str, event: dict) -> None:
        handler = getattr(self, "_" + event_type.removeprefix("vouchers."), None)
        if handler is not None:
            handler(index, event, parse_time(event["at"]))

    def _transfer(self, index: int, event: dict, at) -> None:
        cause = event["cause"]
        self.transfers.create(event["transfer"], index, {
            "kind": event["kind"], "from_account": event["from"], "to_account": event["to"],
            "amount_fen": event["amount_fen"], "reason": event["reason"], "actor_id": event["actor"],
            "created_at": at, **{f"{name}_id": cause.get(name) for name in CAUSE_FIELDS},
        })
        self.balances[event["from"]] -= event["amount_fen"]
        self.balances[event["to"]] += event["amount_fen"]
        self.balance_sources[event["from"]] = self.balance_sources[event["to"]] = index

    def _issue(self, index: int, event: dict, at) -> None:
        self.enterprise_of_voucher[event["voucher"]] = event["enterprise"]
        self.vouchers.create(event["voucher"], index, {
            "number": event["number"], "enterprise_id": event["enterprise"], "account": f"voucher:{event['number']}",
            "work_id": event["work"], "application_id": event["application"], "amount_fen": event["amount_fen"],
            "budget_year": event["budget_year"], "issued_on": parse_date(event["issued_on"]), "issued_at": at,
            "issued_by_id": event["actor"], "expires_on": parse_date(event["expires_on"]),
            "policy_version": event["policy_version"],
            "eligible_service_categories": event["eligible_service_categories"],
            "status": VoucherStatus.ACTIVE, "status_changed_at": None,
        })

    def _expire(self, index: int, event: dict, at) -> None:
        self.vouchers.set(event["voucher"], index, {"status": VoucherStatus.EXPIRED, "status_changed_at": at})
        for redemption_id in event["lapsed_redemptions"]:
            self.redemptions.set(redemption_id, index, {"status": RedemptionStatus.LAPSED, "decided_at": at})

    def _revoke(self, index: int, event: dict, at) -> None:
        self.vouchers.set(event["voucher"], index, {"status": VoucherStatus.REVOKED, "status_changed_at": at})
        for redemption_id in event["cancelled_redemptions"]:
            self.redemptions.set(redemption_id, index, {"status": RedemptionStatus.CANCELLED, "decided_at": at})

    def _redemption_submit(self, index: int, event: dict, at) -> None:
        self.redemptions.create(event["redemption"], index, {
            "provider_id": event["provider"], "voucher_id": event["voucher"], "order_ref": event["order_ref"],
            "category": event["category"], "amount_fen": event["amount_fen"], "status": event["status"],
            "api_key_id": event["api_key"], "submitted_at": at, "submitted_by_id": event["actor"],
            "decided_at": None, "decided_by_id": None, "decision_reason": "", "statement_id": None,
        })

    def _redeem(self, index: int, event: dict, at) -> None:
        self.redemptions.set(event["redemption"], index, {
            "status": event["status"], "amount_fen": event["amount_fen"], "decided_at": at,
            "decided_by_id": event["actor"]})

    def _redemption_reject(self, index: int, event: dict, at) -> None:
        enterprise_id = self.enterprise_of_voucher.get(event["voucher"])
        self.redemptions.set(event["redemption"], index, {
            "status": event["status"], "decided_at": at, "decided_by_id": event["actor"],
            "decision_reason": Committed(event["reason_commitment"], ("decision_reason",),
                                         ("enterprise", enterprise_id), keys=("reason",))})

    def _settlement_create(self, index: int, event: dict, at) -> None:
        for redemption_id in event["redemptions"]:
            self.redemptions.set(redemption_id, index, {"statement_id": event["statement"]})

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        salts = enterprise_salts()
        keys = dict(Account.objects.values_list("pk", "key"))
        fields = ["pk", "number", "enterprise_id", "account_id", "work_id", "application_id", "amount_fen",
                  "budget_year", "issued_on", "issued_at", "issued_by_id", "expires_on", "policy_version",
                  "eligible_service_categories", "status", "status_changed_at"]
        self.vouchers.compare(((row["pk"], {**row, "account": keys.get(row["account_id"])})
                               for row in Voucher.objects.values(*fields).iterator()), sink)
        fields = ["pk", "kind", "from_account_id", "to_account_id", "amount_fen", "reason", "actor_id", "created_at",
                  *(f"{name}_id" for name in CAUSE_FIELDS)]
        self.transfers.compare(((row["pk"], {**row, "from_account": keys.get(row["from_account_id"]),
                                             "to_account": keys.get(row["to_account_id"])})
                                for row in Transfer.objects.values(*fields).iterator()), sink)
        fields = ["pk", "provider_id", "voucher_id", "order_ref", "category", "amount_fen", "status", "api_key_id",
                  "submitted_at", "submitted_by_id", "decided_at", "decided_by_id", "decision_reason",
                  "statement_id"]
        self.redemptions.compare(((row["pk"], row) for row in Redemption.objects.values(*fields).iterator()), sink,
                                 salts=salts)
        self._compare_balances(sink)

    def _compare_balances(self, sink: MismatchSink) -> None:
        seen = set()
        count = 0
        for key, balance_fen in Account.objects.values_list("key", "balance_fen").iterator():
            count += 1
            seen.add(key)
            if balance_fen != self.balances.get(key, 0):
                sink.add(Mismatch(ACCOUNT_TABLE, key, "edited", ("balance_fen",), self.balance_sources.get(key),
                                  f"balance {balance_fen} ≠ {self.balances.get(key, 0)} from the logged transfers"))
        sink.checked(ACCOUNT_TABLE, count)
        for key in sorted(set(self.balances) - seen):
            sink.add(Mismatch(ACCOUNT_TABLE, key, DELETED, (), self.balance_sources[key],
                              "logged transfers move this account, the table does not have it"))
