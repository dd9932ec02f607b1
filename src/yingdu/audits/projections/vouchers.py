"""The ledger and its documents — accounts with their balances, transfers, vouchers, redemptions — from the
vouchers.* entries declared with ``projection="vouchers"`` (yingdu.vouchers.events).

Transfers name their accounts by key, so accounts are matched by the key their vouchers.account_open entry gives;
each account's balance is recomputed as Σ transfers in − Σ transfers out. The voucher app's other tables
(statements, claims, repayments, revocations, notices) are recomputed by the catalogue's Row declarations.
"""

from collections import defaultdict

from yingdu.transparency.catalogue import CATALOGUE
from yingdu.vouchers.ledger import CAUSE_FIELDS
from yingdu.vouchers.models import Account, Redemption, RedemptionStatus, Transfer, Voucher, VoucherStatus

from .base import DELETED, Committed, ExpectedRows, Mismatch, MismatchSink, Projection
from .enterprises import enterprise_salts

VOUCHER_TABLE = Voucher._meta.db_table
TRANSFER_TABLE = Transfer._meta.db_table
ACCOUNT_TABLE = Account._meta.db_table
REDEMPTION_TABLE = Redemption._meta.db_table

ACCOUNT_COLUMNS = ("key", "kind", "side", "year", "enterprise_id", "provider_id", "created_at", "balance_fen")


class VoucherProjection(Projection):
    tables = {VOUCHER_TABLE: (), TRANSFER_TABLE: (), ACCOUNT_TABLE: (), REDEMPTION_TABLE: ()}
    name = "vouchers"

    def __init__(self) -> None:
        self.vouchers = ExpectedRows(VOUCHER_TABLE)
        self.transfers = ExpectedRows(TRANSFER_TABLE)
        self.redemptions = ExpectedRows(REDEMPTION_TABLE)
        self.accounts = ExpectedRows(ACCOUNT_TABLE)
        # account id of each key (from vouchers.account_open)
        self.account_ids: dict[str, int] = {}
        # balance of each account key: Σ transfers in − Σ transfers out, and the last entry that moved it
        self.balances: dict[str, int] = defaultdict(int)
        self.balance_sources: dict[str, int] = {}
        self.enterprise_of_voucher: dict[int, int] = {}

    def entry(self, index: int, event_type: str, event: dict) -> None:
        handler = getattr(self, "_" + event_type.removeprefix("vouchers."), None)
        if handler is not None:
            handler(index, CATALOGUE[event_type].decode(event))

    def _committed(self, event: dict, digest: str, column: str, key: str):
        """A free-text column known by its commitment with the voucher's enterprise's salt."""
        return Committed(event[digest], (column,), ("enterprise", self.enterprise_of_voucher.get(event["voucher"])),
                         keys=(key,))

    def _account_open(self, index: int, event: dict) -> None:
        self.account_ids[event["key"]] = event["account"]
        self.accounts.create(event["account"], index, {
            "key": event["key"], "kind": event["kind"], "side": event["side"], "year": event["year"],
            "enterprise_id": event["enterprise"], "provider_id": event["provider"], "created_at": event["at"]})

    def _transfer(self, index: int, event: dict) -> None:
        cause = event["cause"]
        self.transfers.create(event["transfer"], index, {
            "kind": event["kind"], "from_account": event["from"], "to_account": event["to"],
            "amount_fen": event["amount_fen"], "reason": event["reason"], "actor_id": event["actor"],
            "created_at": event["at"], **{f"{name}_id": cause.get(name) for name in CAUSE_FIELDS},
        })
        self.balances[event["from"]] -= event["amount_fen"]
        self.balances[event["to"]] += event["amount_fen"]
        self.balance_sources[event["from"]] = self.balance_sources[event["to"]] = index

    def _issue(self, index: int, event: dict) -> None:
        self.enterprise_of_voucher[event["voucher"]] = event["enterprise"]
        self.vouchers.create(event["voucher"], index, {
            "number": event["number"], "enterprise_id": event["enterprise"], "account": f"voucher:{event['number']}",
            "work_id": event["work"], "application_id": event["application"], "amount_fen": event["amount_fen"],
            "budget_year": event["budget_year"], "issued_on": event["issued_on"], "issued_at": event["at"],
            "issued_by_id": event["actor"], "expires_on": event["expires_on"],
            "policy_version": event["policy_version"],
            "eligible_service_categories": event["eligible_service_categories"],
            "status": VoucherStatus.ACTIVE, "status_changed_at": None,
        })

    def _expire(self, index: int, event: dict) -> None:
        self.vouchers.set(event["voucher"], index, {"status": VoucherStatus.EXPIRED, "status_changed_at": event["at"]})
        for redemption_id in event["lapsed_redemptions"]:
            self.redemptions.set(redemption_id, index, {"status": RedemptionStatus.LAPSED, "decided_at": event["at"]})

    def _revoke(self, index: int, event: dict) -> None:
        self.vouchers.set(event["voucher"], index, {"status": VoucherStatus.REVOKED, "status_changed_at": event["at"]})
        for redemption_id in event["cancelled_redemptions"]:
            self.redemptions.set(redemption_id, index, {"status": RedemptionStatus.CANCELLED,
                                                        "decided_at": event["at"]})

    def _redemption_submit(self, index: int, event: dict) -> None:
        values = {
            "provider_id": event["provider"], "voucher_id": event["voucher"], "order_ref": event["order_ref"],
            "category": event["category"], "amount_fen": event["amount_fen"], "status": event["status"],
            "api_key_id": event["api_key"], "submitted_at": event["at"], "submitted_by_id": event["actor"],
            "decided_at": None, "decided_by_id": None, "decision_reason": "", "statement_id": None,
        }
        if "description_commitment" in event:  # version 2 on
            values["description"] = self._committed(event, "description_commitment", "description", "description")
        self.redemptions.create(event["redemption"], index, values)

    def _redeem(self, index: int, event: dict) -> None:
        self.redemptions.set(event["redemption"], index, {
            "status": event["status"], "amount_fen": event["amount_fen"], "decided_at": event["at"],
            "decided_by_id": event["actor"]})

    def _redemption_reject(self, index: int, event: dict) -> None:
        self.redemptions.set(event["redemption"], index, {
            "status": event["status"], "decided_at": event["at"], "decided_by_id": event["actor"],
            "decision_reason": self._committed(event, "reason_commitment", "decision_reason", "reason")})

    def _settlement_create(self, index: int, event: dict) -> None:
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
        fields = ["pk", "provider_id", "voucher_id", "order_ref", "category", "amount_fen", "description", "status",
                  "api_key_id", "submitted_at", "submitted_by_id", "decided_at", "decided_by_id", "decision_reason",
                  "statement_id"]
        self.redemptions.compare(((row["pk"], row) for row in Redemption.objects.values(*fields).iterator()), sink,
                                 salts=salts)
        self._compare_accounts(sink)

    def _compare_accounts(self, sink: MismatchSink) -> None:
        """Accounts as opened, each with the balance its logged transfers give."""
        for key, account_id in self.account_ids.items():
            row = self.accounts.rows.get(account_id)
            if row is not None:
                row.values["balance_fen"] = self.balances.get(key, 0)
                row.sources["balance_fen"] = self.balance_sources.get(key, row.created)
        self.accounts.compare(((row["pk"], row) for row in Account.objects.values("pk", *ACCOUNT_COLUMNS)
                               .order_by("pk").iterator()), sink)
        for key in sorted(set(self.balances) - set(self.account_ids)):
            sink.add(Mismatch(ACCOUNT_TABLE, key, DELETED, (), self.balance_sources[key],
                              "logged transfers move this account, but no entry opens it"))
