"""reply_markup as the Bot API reads it, in three steps:

1. ``Client::get_reply_markup`` / ``get_inline_keyboard_button(_type)`` /
   ``get_keyboard_button`` (telegram-bot-api/Client.cpp): the JSON shape. A keyboard wins over
   an inline keyboard, then ``remove_keyboard``, then ``force_reply``; anything else is no
   markup at all. An inline button's action is the first non-empty of url, callback_data,
   callback_game, pay, switch_inline_query…, the others are ignored.
2. ``get_reply_markup`` (td/telegram/ReplyMarkup.cpp): buttons with an empty text are
   skipped, a row keeps its first 12 buttons and the keyboard its first 300, empty rows go,
   an empty keyboard is no markup; URL buttons are checked (``LinkManager::check_link``).
3. Telegram's server: more than 100 inline buttons is REPLY_MARKUP_TOO_LONG, callback data
   must be 1-64 bytes (BUTTON_DATA_INVALID).

``strict_buttons`` (a fakegram option, off by default) refuses instead what Telegram drops or
ignores silently: a button with an empty text, a button beyond 12 in a row (or 300 in all),
a button with several actions.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request, td_error
from .links import UrlError, check_link

ROW_LIMIT = 12
KEYBOARD_LIMIT = 300
INLINE_BUTTONS_LIMIT = 100
CALLBACK_DATA_LIMIT = 64

INLINE_ACTIONS = (  # Client::get_inline_keyboard_button_type, in its order
    "url", "callback_data", "callback_game", "pay", "switch_inline_query",
    "switch_inline_query_chosen_chat", "switch_inline_query_current_chat", "login_url",
    "web_app", "copy_text",
)  # fmt: skip
_NON_EMPTY_STRINGS = ("url", "callback_data")
REPLY_REQUESTS = (  # Client::get_keyboard_button_type, in its order
    "request_phone_number", "request_contact", "request_location", "request_poll", "web_app",
    "request_user", "request_users", "request_chat", "request_managed_bot",
)  # fmt: skip
_KEPT = ("style", "icon_custom_emoji_id")


def _strict(reason: str) -> ApiError:
    return bad_request(f"fakegram strict_buttons: {reason} (Telegram would accept it silently)")


def _text(button: dict[str, Any], what: str) -> str:
    if "text" not in button:
        raise td_error(f"Can't parse {what}: Can't find field \"text\"")
    if not isinstance(button["text"], str):
        raise td_error(f'Can\'t parse {what}: Field "text" must be of type String')
    text: str = button["text"]
    return text


def _inline_action(button: dict[str, Any]) -> str:
    """The action Telegram uses (the first in Client.cpp's order)."""
    for key in _NON_EMPTY_STRINGS:
        value = button.get(key)
        if value is not None and not isinstance(value, str):
            raise td_error(
                f'Can\'t parse inline keyboard button: Field "{key}" must be of type String'
            )
    for key in INLINE_ACTIONS:
        if key in _NON_EMPTY_STRINGS:
            if button.get(key):
                return key
        elif key in button and button[key] is not None:
            return key
    raise td_error(
        "Can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    )


def _inline_button(button: Any, strict: bool) -> dict[str, Any] | None:
    """The button as Telegram keeps it, or None if it skips it."""
    if not isinstance(button, dict):
        raise td_error(
            "Can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = _text(button, "inline keyboard button")
    action = _inline_action(button)
    if strict:
        used = [k for k in INLINE_ACTIONS if button.get(k) not in (None, "")]
        if len(used) > 1:
            raise _strict(f"button {text!r} has several actions ({', '.join(used)})")
    if not text:
        if strict:
            raise _strict("a button with an empty text is dropped")
        return None
    clean: dict[str, Any] = {"text": text, action: button[action]}
    clean.update({k: button[k] for k in _KEPT if button.get(k) is not None})
    if action == "url":
        try:
            clean["url"] = check_link(button["url"])
        except UrlError as exc:
            raise td_error(f"Inline keyboard button {exc}") from None
    return clean


def _reply_button(button: Any, strict: bool) -> dict[str, Any] | None:
    if isinstance(button, str):
        button = {"text": button}
    if not isinstance(button, dict):
        raise td_error("Can't parse keyboard button: KeyboardButton must be a String or an Object")
    text = _text(button, "keyboard button")
    requests = [k for k in REPLY_REQUESTS if button.get(k)]
    if strict and len(requests) > 1:
        raise _strict(f"button {text!r} has several requests ({', '.join(requests)})")
    if not text:
        if strict:
            raise _strict("a button with an empty text is dropped")
        return None
    clean: dict[str, Any] = {"text": text}
    if requests:
        kind = "request_contact" if requests[0] == "request_phone_number" else requests[0]
        clean[kind] = button[requests[0]]
    clean.update({k: button[k] for k in _KEPT if button.get(k) is not None})
    return clean


def _rows(markup: dict[str, Any], key: str, message: str) -> list[list[Any]] | None:
    rows = markup.get(key)
    if rows is None:
        return None
    if not isinstance(rows, list):
        raise td_error(f'Field "{key}" must be of type Array')
    if not all(isinstance(row, list) for row in rows):
        raise td_error(message)
    return rows


def _keep(rows: list[list[Any]], make: Any, strict: bool) -> list[list[dict[str, Any]]]:
    """ReplyMarkup.cpp: empty-text buttons skipped, 12 a row, 300 in all, empty rows gone."""
    kept: list[list[dict[str, Any]]] = []
    total = 0
    for row in rows:
        clean_row = []
        for index, button in enumerate(row):
            clean = make(button, strict)
            if clean is None:
                continue
            clean_row.append(clean)
            total += 1
            if len(clean_row) >= ROW_LIMIT or total >= KEYBOARD_LIMIT:
                if strict and index + 1 < len(row):
                    raise _strict(f"a row keeps only its first {ROW_LIMIT} buttons")
                break
        if clean_row:
            kept.append(clean_row)
        if total >= KEYBOARD_LIMIT:
            break
    return kept


def validate_reply_markup(markup: Any, *, strict_buttons: bool = False) -> dict[str, Any] | None:
    """The markup Telegram keeps (None: no markup), or ApiError as Telegram answers."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise td_error("Object expected as reply markup")
    keyboard = _rows(markup, "keyboard", 'Field "keyboard" must be an Array of Arrays')
    inline = _rows(
        markup,
        "inline_keyboard",
        'Field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays',
    )
    if keyboard:
        rows = _keep(keyboard, _reply_button, strict_buttons)
        if not rows:
            return None
        flags = ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective",
                 "input_field_placeholder")  # fmt: skip
        return {"keyboard": rows, **{k: markup[k] for k in flags if markup.get(k) is not None}}
    if inline:
        if inline_rows := _keep(inline, _inline_button, strict_buttons):
            _check_inline_server_rules(inline_rows)
            return {"inline_keyboard": inline_rows}
        return None
    if markup.get("remove_keyboard") or markup.get("hide_keyboard"):
        return {"remove_keyboard": True, **_selective(markup)}
    if markup.get("force_reply") or markup.get("force_reply_keyboard"):
        clean = {"force_reply": True, **_selective(markup)}
        if markup.get("input_field_placeholder") is not None:
            clean["input_field_placeholder"] = markup["input_field_placeholder"]
        return clean
    return None


def _selective(markup: dict[str, Any]) -> dict[str, Any]:
    return {"selective": True} if markup.get("selective") else {}


def _check_inline_server_rules(rows: list[list[dict[str, Any]]]) -> None:
    if sum(len(row) for row in rows) > INLINE_BUTTONS_LIMIT:
        raise bad_request("reply markup is too long")
    for row in rows:
        for button in row:
            data = button.get("callback_data")
            if data is not None and len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button["text"].strip():
                raise bad_request("BUTTON_TEXT_INVALID")
