"""Sentences for the refusal codes of administration and broadcasts (merged into
handlers.errors.MESSAGES)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from handlers.render import esc

ADMIN_MESSAGES = {
    "cannot_remove_configured_admin": lambda p: _(
        "This administrator is set in the bot's configuration (ADMIN_IDS) and cannot be "
        "removed in the chat."
    ),
    "cannot_remove_self": lambda p: _("You cannot remove yourself."),
    "opd_required": lambda p: _("Please choose the OPD of the operator."),
    "unknown_opd": lambda p: _("There is no OPD “{opd}” in the ASN roster.").format(
        opd=esc(str(p.get("opd", "")))
    ),
    "unknown_role": lambda p: _("That role does not exist."),
    "unknown_class": lambda p: _("There is no class “{quota_class}”.").format(
        quota_class=esc(str(p.get("quota_class", "")))
    ),
    "unknown_audience": lambda p: _("That audience does not exist."),
    "broadcast_not_found": lambda p: _("That broadcast does not exist."),
    "content_empty": lambda p: _("The announcement is empty."),
    "unknown_content_type": lambda p: _("Please send a text, a photo or a document."),
    "unknown_button": lambda p: _("That button is not available."),
    "empty_audience": lambda p: _("Nobody would receive it. Please choose another audience."),
    "schedule_in_past": lambda p: _("That time has already passed. Please type a later one."),
    "invalid_state": lambda p: _("Not possible: this broadcast is {status} now.").format(
        status=_broadcast_status(str(p.get("status", "")))
    ),
    "unknown_action": lambda p: _("Sorry, that is not possible."),
}


def _broadcast_status(status: str) -> str:
    from handlers.broadcast_views import status_label

    return status_label(status)
