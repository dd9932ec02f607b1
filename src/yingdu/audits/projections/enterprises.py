"""Enterprises' commitment salts, which the other projections need to check an enterprise's committed free text.

The enterprise tables themselves are recomputed by the catalogue projection from the ``Row`` declarations in
``yingdu.enterprises.events`` (enterprises.register and one type per transition).
"""

from yingdu.enterprises.models import Enterprise


def enterprise_salts() -> dict[int, str]:
    """Each enterprise's commitment salt, from its row (an edited salt breaks the row's own commitment check)."""
    return dict(Enterprise._base_manager.values_list("pk", "commitment_salt"))
