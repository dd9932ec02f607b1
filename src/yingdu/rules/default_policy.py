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
    # official documents (not in the measures; the operator's conventions, editable in each version): the number
    # (文号) of each kind of document, {year} its Beijing year and {number} its place in that year's sequence
    "document_number_formats": MappingProxyType({
        "data_notice": "怀文促数告〔{year}〕{number}号",
        "acceptance": "怀文促受〔{year}〕{number}号",
        "supplement": "怀文促补〔{year}〕{number}号",
        "decision": "怀文促决〔{year}〕{number}号",
        "voucher": "怀影算券〔{year}〕{number}号",
        "revocation": "怀文促撤〔{year}〕{number}号",
        "objection_decision": "怀文促异〔{year}〕{number}号",
        "spot_check": "怀文促查〔{year}〕{number}号",
    }),
    # the applicant's remedies against a decision (行政复议法 art. 20: 60 days; 行政诉讼法 art. 46: 6 months) and the
    # office to contact; the operator fills in its telephone and address in the version it publishes
    "decision_remedies": MappingProxyType({
        "review": "如不服本决定，可以自收到本决定书之日起六十日内向北京市怀柔区人民政府申请行政复议；",
        "litigation": "也可以自收到本决定书之日起六个月内向北京市怀柔区人民法院提起行政诉讼。",
        "contact_office": "怀柔区文促中心（中国影都人工智能算力服务平台）",
        "contact_phone": "",
        "contact_address": "",
    }),
})
