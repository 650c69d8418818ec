"""Callback data of the compliance features (rules, exemptions, history, reports, refunds).

Prefixes are short and unique across handlers; payloads carry ids and codes only.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ReportCb(CallbackData, prefix="rp"):
    action: str  # show, xlsx, cmp
    month: int  # YYYYMM


class QuotaAdminCb(CallbackData, prefix="qa"):
    action: str  # show, cls, day, ex, exadd, exrm
    cls: str = ""
    id: int = 0
    page: int = 0


class QuotaFromCb(CallbackData, prefix="qf"):
    month: int  # YYYYMM: the first month a new rule applies to


class ExemptReasonCb(CallbackData, prefix="qr"):
    code: str  # one of services.compliance.EXEMPTION_REASONS


class QuotaHistoryCb(CallbackData, prefix="qh"):
    pass


class RefundCb(CallbackData, prefix="rf"):
    id: int  # the order
