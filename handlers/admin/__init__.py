"""The administration: reports for administrators, OPD operators and the inspectorate (read
only); city administrators and OPD operators (broadcasts), and
administrators only (the panel, registrations to check, minimum-spend rules, exemptions,
suspending shops). Each group is reached only with its role (`HasRole` on the subtree); the
services check the role again before changing anything."""

from __future__ import annotations

from aiogram import Router

from handlers.admin import (
    broadcast_compose,
    broadcast_control,
    exemptions,
    flags,
    global_admin,
    outages,
    panel,
    quota_rules,
    refusals,
    registrations,
    reports,
    shops,
    translations,
    verify,
)
from handlers.filters import HasRole
from services.roles import REPORT_READERS, RoleKind


def _only(name: str, *kinds: RoleKind) -> Router:
    router = Router(name=name)
    router.message.filter(HasRole(*kinds))
    router.callback_query.filter(HasRole(*kinds))
    return router


def router() -> Router:
    readers = _only("reports", *REPORT_READERS)
    readers.include_routers(reports.routes.router(), flags.routes.router())
    staff = _only("administration", RoleKind.ADMIN, RoleKind.OPD_OPERATOR)
    staff.include_routers(
        broadcast_compose.routes.router(),
        broadcast_control.routes.router(),
        verify.routes.router(),
    )
    admins = _only("administrators", RoleKind.ADMIN)
    admins.include_routers(
        panel.routes.router(),
        registrations.routes.router(),
        quota_rules.routes.router(),
        exemptions.routes.router(),
        shops.routes.router(),
        outages.routes.router(),
        global_admin.routes.router(),
        translations.routes.router(),
    )
    staff.include_router(admins)
    top = Router(name="admin")
    top.include_routers(readers, staff, refusals.routes.router())
    return top
