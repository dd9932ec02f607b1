"""The default policy version as data: the Huairou implementation measures (DESIGN §1), not constants of the code."""

from types import MappingProxyType

__all__ = ["HUAIROU_2026_DEFAULT"]

# Source: 中国影都人工智能算力服务平台智能影像算力服务实施办法 (Huairou district, published 2026-04).
# Read-only: the policy app copies it into the first policy version; a revision is a new version, never an edit here.
HUAIROU_2026_DEFAULT = MappingProxyType({
    "version_id": "huairou-2026-04",
    "title": "中国影都人工智能算力服务平台智能影像算力服务实施办法",
    # regular support: 30 % of the verified compute cost, at most 20,000.00 yuan per work
    "regular_rate": "0.30",
    "regular_cap_fen": 2_000_000,
    # overseas distribution: the subsidy is raised by a further 30 %, at most 26,000.00 yuan per work
    "overseas_reading": "A",
    "overseas_uplift": "0.30",
    "overseas_cap_fen": 2_600_000,
    "annual_work_limit": 5,
    "rounding_rule": "half_up",
    # deadlines, in official working days (used by the applications and objections apps, not by the calculator)
    "sla_working_days": 30,
    "objection_window_working_days": 5,
})
