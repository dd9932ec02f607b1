"""One module per domain: how the rows of its tables are recomputed from their log entries."""

from .applications import ApplicationProjection
from .base import DELETED, EDITED, INSERTED, Mismatch, MismatchSink, Projection
from .catalogue import CatalogueProjection
from .metering import UsageProjection
from .vouchers import VoucherProjection

__all__ = [
    "DELETED", "EDITED", "INSERTED", "Mismatch", "MismatchSink", "Projection", "all_projections",
]


def all_projections() -> list[Projection]:
    """A fresh projection of every audited domain."""
    return [ApplicationProjection(), VoucherProjection(), UsageProjection(),
            CatalogueProjection()]
