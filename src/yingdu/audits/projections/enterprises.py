"""Enterprises and their state changes, from enterprises.register and enterprises.<action> entries."""

from django.utils import timezone

from yingdu.enterprises.events import PERSONAL_FIELDS
from yingdu.enterprises.models import Enterprise, EnterpriseStateChange

from .base import Committed, ExpectedRows, MismatchSink, Projection, parse_date, parse_time

ENTERPRISE_TABLE = Enterprise._meta.db_table
CHANGE_TABLE = EnterpriseStateChange._meta.db_table


def enterprise_salts() -> dict[int, str]:
    """Each enterprise's commitment salt, from its row (an edited salt breaks the row's own commitment check)."""
    return dict(Enterprise.objects.values_list("pk", "commitment_salt"))


class EnterpriseProjection(Projection):
    tables = {
        ENTERPRISE_TABLE: ("licence_content_type", "licence_size", "licence_filename"),
        CHANGE_TABLE: (),
    }
    event_prefixes = ("enterprises.",)

    def __init__(self) -> None:
        self.enterprises = ExpectedRows(ENTERPRISE_TABLE)
        self.changes = ExpectedRows(CHANGE_TABLE)

    def entry(self, index: int, event_type: str, event: dict) -> None:
        at = parse_time(event["at"])
        enterprise_id = event["enterprise"]
        if event_type == "enterprises.register":
            self.enterprises.create(enterprise_id, index, {
                "organisation_id": event["organisation"], "name": event["name"], "uscc": event["uscc"],
                "registered_address": event["registered_address"], "licence_sha256": event["licence_sha256"],
                "registered_by_id": event["registered_by"], "registered_at": at, "state": event["state"],
                "personal_commitment": Committed(event["personal_commitment"], PERSONAL_FIELDS, ("row", "commitment_salt")),
            })
            self.changes.create(event["change"], index, {
                "enterprise_id": enterprise_id, "action": "register", "from_state": "", "to_state": event["state"],
                "actor_id": event["registered_by"], "at": at, "effective_on": timezone.localdate(at), "reason": "",
            })
            return
        self.enterprises.set(enterprise_id, index, {"state": event["to_state"]})
        self.changes.create(event["change"], index, {
            "enterprise_id": enterprise_id, "action": event_type.removeprefix("enterprises."),
            "from_state": event["from_state"], "to_state": event["to_state"], "actor_id": event["actor"], "at": at,
            "effective_on": parse_date(event["effective_on"]),
            "reason": Committed(event["reason_commitment"], ("reason",), ("enterprise", enterprise_id)),
        })

    def finish(self, tree_size: int, sink: MismatchSink) -> None:
        salts = enterprise_salts()
        fields = ["pk", "organisation_id", "name", "uscc", "registered_address", "licence_sha256", "registered_by_id",
                  "registered_at", "state", "commitment_salt", *PERSONAL_FIELDS]
        self.enterprises.compare(((row["pk"], row) for row in Enterprise.objects.values(*fields).iterator()), sink,
                                 salts=salts)
        fields = ["pk", "enterprise_id", "action", "from_state", "to_state", "actor_id", "at", "effective_on", "reason"]
        self.changes.compare(((row["pk"], row) for row in EnterpriseStateChange.objects.values(*fields).iterator()),
                             sink, salts=salts)
