"""Administration commands and buttons reached by someone without the role: a clear "not
allowed", nothing else (the administration routers are filtered by role; this router is not,
and comes after them)."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.types import TelegramObject

from handlers.routes import Routes
from services.errors import Forbidden
from views.admin import AdminCb
from views.broadcasts import BroadcastCtlCb, BroadcastListCb, SetupCb
from views.callbacks import (
    AdminHomeCb,
    CertDecisionCb,
    ExemptReasonCb,
    FlagCb,
    FlagPriceCb,
    OutageCb,
    QuotaAdminCb,
    QuotaFromCb,
    RegistrationCb,
    ReportCb,
    ShowcaseCb,
    TranslateCb,
    VerifyCb,
)

routes = Routes("admin_refusals")

ADMIN_COMMANDS = (
    "admin", "broadcast", "siaran", "broadcasts", "siaran_list", "kuota_atur", "quota_rules",
    "laporan", "report", "bekukan", "suspend", "aktifkan", "reactivate", "audit", "log_audit",
    "verifikasi", "verify", "calon_umkm", "shops_to_invite", "gangguan", "outage", "porsi_luar",
    "outside_share", "mendunia", "global", "kurs", "rate", "terjemahan", "translations",
    "tanda", "redflags",
)  # fmt: skip
ADMIN_BUTTONS = (
    AdminCb, AdminHomeCb, SetupCb, BroadcastCtlCb, BroadcastListCb, QuotaAdminCb, QuotaFromCb,
    ExemptReasonCb, ReportCb, RegistrationCb, VerifyCb, OutageCb, CertDecisionCb, ShowcaseCb,
    TranslateCb, FlagCb, FlagPriceCb,
)  # fmt: skip


@routes.message(Command(*ADMIN_COMMANDS))
async def not_allowed(event: TelegramObject) -> None:
    raise Forbidden()


for _button in ADMIN_BUTTONS:
    routes.callback_query(_button.filter())(not_allowed)
