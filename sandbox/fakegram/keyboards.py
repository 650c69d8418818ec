"""Validation of reply_markup the way the Bot API checks it."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, bad_request

INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
REPLY_REQUESTS = (
    "request_users",
    "request_chat",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
_URL = re.compile(r"^(?:(https?)://[^\s/?#]+\.?[^\s]*|tg://[^\s]+)$", re.IGNORECASE)


def _check_url(url: Any) -> None:
    if not isinstance(url, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "url" must be of type String'
        )
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in ("http", "https", "tg"):
        reason = "Unsupported URL protocol" if scheme else "Wrong HTTP URL"
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: {reason}")
    if not _URL.match(url):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_text(button: dict[str, Any], kind: str) -> None:
    if "text" not in button:
        raise bad_request(f"can't parse {kind} keyboard button: Can't find field \"text\"")
    text = button["text"]
    if not isinstance(text, str):
        raise bad_request(
            f'can\'t parse {kind} keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")


def _rows(markup: dict[str, Any], key: str) -> list[list[Any]]:
    rows = markup.get(key)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{key}" of the {key.replace("_", " ")} must be an Array')
    return rows


def validate_inline_keyboard(markup: dict[str, Any]) -> dict[str, Any]:
    rows = _rows(markup, "inline_keyboard")
    clean_rows = []
    for row in rows:
        clean_row = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: Object expected")
            _check_text(button, "inline")
            actions = [key for key in INLINE_ACTIONS if button.get(key) is not None]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, got {', '.join(actions)}"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in actions:
                _check_url(button["url"])
            clean_row.append({k: v for k, v in button.items() if v is not None})
        if clean_row:
            clean_rows.append(clean_row)
    return {"inline_keyboard": clean_rows}


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Return the normalised markup or raise ApiError like Telegram."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return validate_inline_keyboard(markup)
    if "keyboard" in markup:
        rows = _rows(markup, "keyboard")
        clean_rows = []
        for row in rows:
            clean_row = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict):
                    raise bad_request("can't parse keyboard button: Object expected")
                _check_text(button, "reply")
                requests = [key for key in REPLY_REQUESTS if button.get(key)]
                if len(requests) > 1:
                    raise bad_request(
                        "can't parse keyboard button: at most one of the optional fields "
                        f"may be used, got {', '.join(requests)}"
                    )
                clean_row.append({k: v for k, v in button.items() if v is not None})
            if clean_row:
                clean_rows.append(clean_row)
        if not clean_rows:
            raise bad_request("keyboard must be non-empty")
        clean = {k: v for k, v in markup.items() if v is not None}
        clean["keyboard"] = clean_rows
        return clean
    if markup.get("remove_keyboard"):
        return {k: v for k, v in markup.items() if v is not None}
    if markup.get("force_reply"):
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and len(placeholder) > 64:
            raise bad_request("input field placeholder is too long")
        return {k: v for k, v in markup.items() if v is not None}
    raise ApiError(400, 'Bad Request: can\'t find field "inline_keyboard"')
