"""Telegram text formatting: HTML parse mode, entity offsets in UTF-16 units, cleaning, trimming.

A port of what the Bot API server does with a text before sending it:

- ``Client::get_formatted_text`` (telegram-bot-api/Client.cpp): the raw text is at most
  32 KiB (``Text is too long``), ``parse_mode`` is lower-cased, and wins over ``entities``;
- ``parse_html`` (td/telegram/MessageEntity.cpp), byte for byte, with its error texts: a bare
  ``&`` or an unknown ``&name;`` stays as text, an entity's ``;`` is optional, attributes
  without a value are ignored, ``<a>`` with a URL TDLib refuses is dropped silently;
- ``fix_formatted_text`` (same file): control characters become spaces, ``\\r`` and U+2028…
  U+202E go, entities are normalised (``entities.fix_entities``), the text is trimmed of
  spaces and newlines only, and an empty result is ``Text must be non-empty`` unless allowed.

The length limits (4096 / 1024) count Unicode code points of the result
(``utf8_length`` in td/telegram/MessageContent.cpp); entity offsets count UTF-16 units.

``strict_amp`` (off by default, as on Telegram) refuses an ``&`` that does not start a complete
entity (``&amp;`` …): Telegram shows it as typed, but it usually means a user-supplied string
was not escaped, and an ``&lt`` in such a string would be decoded.
"""

from __future__ import annotations

import re
from typing import Any

from .entities import Entity, fix_entities, sort_entities
from .links import checked_link

RAW_TEXT_LIMIT = 1 << 15  # bytes of UTF-8, Client::get_formatted_text

SUPPORTED_TAGS = frozenset(
    {
        b"a", b"b", b"strong", b"i", b"em", b"s", b"strike", b"del", b"u", b"ins",
        b"tg-spoiler", b"tg-emoji", b"tg-time", b"span", b"pre", b"code", b"blockquote",
    }
)  # fmt: skip
_SIMPLE_TYPES = {
    b"b": "bold", b"strong": "bold", b"i": "italic", b"em": "italic", b"u": "underline",
    b"ins": "underline", b"s": "strikethrough", b"strike": "strikethrough",
    b"del": "strikethrough", b"tg-spoiler": "spoiler", b"span": "spoiler",
    b"blockquote": "blockquote",
}  # fmt: skip
_NAMED = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACE = b" \t\r\n\0\v"  # td::is_space
_REMOVED = frozenset({0x0D, 0x2028, 0x2029, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E} | {
    0x0333, 0x033F, 0x030A})  # fmt: skip
_RLM_RUN = re.compile("[\u200e\u200f]{2,}")


class TextError(Exception):
    """A text Telegram refuses, with TDLib's description (before the Bot API's prefix)."""


class ParseError(TextError):
    """Entities can't be parsed; Telegram answers "Can't parse entities: <this>"."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def text_length(text: str) -> int:
    """Length in Unicode code points, the unit of Telegram's text and caption limits."""
    return len(text)


# ---------------------------------------------------------------------- HTML (parse_html)


def _at(data: bytes, k: int) -> int:
    return data[k] if k < len(data) else 0


def _is_alnum(c: int) -> bool:
    return 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122


def decode_entity(data: bytes, pos: int) -> tuple[int, int]:
    """TDLib's ``decode_html_entity`` at ``data[pos] == '&'``: (code point or 0, next pos).

    The ``;`` is optional; only &lt; &gt; &amp; &quot; and numeric references are known.
    """
    end = pos + 1
    code = 0
    if _at(data, pos + 1) == ord("#"):
        end += 1
        if _at(data, pos + 2) == ord("x"):
            end += 1
            while _at(data, end) and chr(_at(data, end)) in "0123456789abcdefABCDEF":
                code = code * 16 + int(chr(data[end]), 16)
                end += 1
        else:
            while 48 <= _at(data, end) <= 57:
                code = code * 10 + data[end] - 48
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while 97 <= (_at(data, end) | 0x20) <= 122:  # td::is_alpha
            end += 1
        code = _NAMED.get(data[pos + 1 : end], 0)
        if code == 0:
            return 0, pos
    return code, end + 1 if _at(data, end) == ord(";") else end


def _byte_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class _HtmlParser:
    """One run of TDLib's ``parse_html`` over the UTF-8 bytes of a text."""

    def __init__(self, text: str, strict_amp: bool) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.strict_amp = strict_amp
        self.out = bytearray()
        self.utf16 = 0
        self.stack: list[tuple[bytes, bytes, int, int, int]] = []  # tag, argument, date, ...
        self.entities: list[Entity] = []
        self.recheck_utf8 = False

    def run(self) -> tuple[str, list[Entity]]:
        data, i = self.data, 0
        while i < len(data):
            c = data[i]
            if c == ord("&"):
                code, after = decode_entity(data, i)
                if code:
                    if self.strict_amp and data[after - 1] != ord(";"):
                        self._bare_amp(i)
                    self.utf16 += 1 + (code > 0xFFFF)
                    self.recheck_utf8 |= 0xD800 <= code <= 0xDFFF
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    i = after
                    continue
                if self.strict_amp:
                    self._bare_amp(i)
            if c != ord("<"):
                if c & 0xC0 != 0x80:
                    self.utf16 += 1 + (c >= 0xF0)
                self.out.append(c)
                i += 1
            elif _at(data, i + 1) != ord("/"):
                i = self._start_tag(i)
            else:
                i = self._end_tag(i)
        if self.stack:
            tag = _byte_text(self.stack[-1][0])
            raise ParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return self._result(), sort_entities(self.entities)

    def _bare_amp(self, i: int) -> None:
        raise ParseError(
            f'Unescaped "&" at byte offset {i}: write it as &amp; (fakegram strict_amp; '
            "Telegram would show it as typed)"
        )

    def _result(self) -> str:
        try:
            return bytes(self.out).decode("utf-8")
        except UnicodeDecodeError:
            if self.recheck_utf8:
                raise ParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                ) from None
            raise TextError("Strings must be encoded in UTF-8") from None

    def _start_tag(self, begin: int) -> int:
        data, i = self.data, begin + 1
        while _at(data, i) not in _SPACE and _at(data, i) != ord(">"):
            i += 1
        if _at(data, i) == 0:
            raise ParseError(f"Unclosed start tag at byte offset {begin}")
        tag = data[begin + 1 : i].lower()
        if tag not in SUPPORTED_TAGS:
            raise ParseError(f'Unsupported start tag "{_byte_text(tag)}" at byte offset {begin}')
        argument, date, i = self._attributes(tag, begin, i)
        if tag == b"span" and argument != b"spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
        self.stack.append((tag, argument, date, self.utf16, len(self.out)))
        return i + 1  # past the ">"

    def _attributes(self, tag: bytes, begin: int, i: int) -> tuple[bytes, int, int]:
        """The tag's attributes from ``i``: (argument, date, index of the closing ">")."""
        data, argument, date = self.data, b"", 0
        name_tag = _byte_text(tag)
        while _at(data, i) != ord(">"):
            while _at(data, i) and _at(data, i) in _SPACE:
                i += 1
            if _at(data, i) == ord(">"):
                break
            name_begin = i
            while _at(data, i) not in _SPACE and _at(data, i) not in b"=>/\"'":
                i += 1
            name = data[name_begin:i]
            if not name:
                raise ParseError(
                    f'Empty attribute name in the tag "{name_tag}" at byte offset {begin}'
                )
            while _at(data, i) and _at(data, i) in _SPACE:
                i += 1
            if _at(data, i) != ord("="):
                if _at(data, i) == 0:
                    raise ParseError(f'Unclosed start tag "{name_tag}" at byte offset {begin}')
                if tag == b"blockquote" and name == b"expandable":
                    argument = b"1"
                continue
            i += 1
            while _at(data, i) and _at(data, i) in _SPACE:
                i += 1
            if _at(data, i) == 0:
                raise ParseError(f'Unclosed start tag "{name_tag}" at byte offset {begin}')
            value, i = self._attribute_value(i)
            if _at(data, i) == 0:
                raise ParseError(f"Unclosed start tag at byte offset {begin}")
            argument, date = _use_attribute(tag, name, value, argument, date)
        return argument, date, i

    def _attribute_value(self, i: int) -> tuple[bytes, int]:
        data = self.data
        if _at(data, i) not in b"'\"":
            token_begin = i
            while _is_alnum(_at(data, i)) or _at(data, i) in b".-":
                i += 1
            if _at(data, i) not in _SPACE and _at(data, i) != ord(">"):
                raise ParseError(f"Unexpected end of name token at byte offset {token_begin}")
            return data[token_begin:i].lower(), i
        quote = data[i]
        i += 1
        value = bytearray()
        while _at(data, i) != quote and _at(data, i) != 0:
            if data[i] == ord("&"):
                code, after = decode_entity(data, i)
                if code:
                    value += chr(code).encode("utf-8", "surrogatepass")
                    i = after
                    continue
            value.append(data[i])
            i += 1
        if _at(data, i) == quote:
            i += 1
        return bytes(value), i

    def _end_tag(self, begin: int) -> int:
        data = self.data
        if not self.stack:
            raise ParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 1
        while _at(data, i) not in _SPACE and _at(data, i) != ord(">"):
            i += 1
        end_name = data[begin + 2 : i].lower()
        while _at(data, i) and _at(data, i) in _SPACE:
            i += 1
        if _at(data, i) != ord(">"):
            raise ParseError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, date, offset, byte_begin = self.stack[-1]
        if end_name and end_name != tag:
            raise ParseError(
                f"Unmatched end tag at byte offset {begin}, expected "
                f'"</{_byte_text(tag)}>", found "</{_byte_text(end_name)}>"'
            )
        if self.utf16 > offset:
            self._close(tag, argument, date, offset, byte_begin)
        self.stack.pop()
        return i + 1

    def _close(self, tag: bytes, argument: bytes, date: int, offset: int, byte_begin: int) -> None:
        """The entity of a closed, non-empty tag (TDLib's branch per tag name)."""
        entity: Entity = {"type": "", "offset": offset, "length": self.utf16 - offset}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (
            entity["offset"], entity["length"])  # fmt: skip
        if tag in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[tag]
            if tag == b"blockquote" and argument:
                entity["type"] = "expandable_blockquote"
        elif tag == b"tg-emoji":
            if not re.fullmatch(rb"-?[0-9]+", argument) or int(argument) == 0:
                raise ParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=str(int(argument)))
        elif tag == b"tg-time":
            date_format = _date_format(argument)
            if date <= 0:
                return
            entity.update(type="date_time", unix_time=date, date_time_format=date_format)
        elif tag == b"a":
            url = checked_link(_byte_text(argument or bytes(self.out[byte_begin:])))
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif tag == b"pre":
            if same_span and last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        else:  # code
            if (
                same_span
                and last is not None
                and last["type"] == "pre"
                and argument
                and not (last.get("language"))
            ):
                last["language"] = _byte_text(argument)
                return
            entity["type"] = "code"
            if argument:
                entity["language"] = _byte_text(argument)
        self.entities.append(entity)


def _use_attribute(
    tag: bytes, name: bytes, value: bytes, argument: bytes, date: int
) -> tuple[bytes, int]:
    """The tag's (argument, date) after one ``name=value`` attribute."""
    if tag == b"a" and name == b"href":
        return value, date
    if tag == b"code" and name == b"class" and value.startswith(b"language-"):
        return value[9:], date
    if tag == b"span" and name == b"class" and value.startswith(b"tg-"):
        return value[3:], date
    if (tag, name) in ((b"tg-emoji", b"emoji-id"), (b"tg-time", b"format")):
        return value, date
    if tag == b"blockquote" and name == b"expandable":
        return b"1", date
    if tag == b"tg-time" and name == b"unix":
        match = re.match(rb"-?[0-9]*", value)
        digits = match.group() if match else b""
        return argument, int(digits) if digits not in (b"", b"-") else 0
    return argument, date


def _date_format(argument: bytes) -> str:
    """FormattedDate::get_date_flags, then the Bot API's ``date_time_format``."""
    if argument in (b"r", b"R"):
        return "r"
    flags = set()
    for char in _byte_text(argument):
        if char not in "tTdDwW":
            raise ParseError("Invalid date format used")
        flags.add(char.lower() if char in "wW" else char)
    day = "w" if "w" in flags else ""
    date_part = "d" if "d" in flags else "D" if "D" in flags else ""
    time_part = "t" if "t" in flags else "T" if "T" in flags else ""
    return day + date_part + time_part


# ---------------------------------------------------------------------- fix_formatted_text


def _clean(text: str, entities: list[Entity]) -> str:
    """``clean_input_string(_with_entities)``: control characters → spaces, some removed;
    entity offsets follow."""
    out: list[str] = []
    moved: dict[int, int] = {}
    old = skipped = 0
    for char in text:
        moved[old] = old - skipped
        code = ord(char)
        width = 2 if code > 0xFFFF else 1
        if code in _REMOVED:
            skipped += width
        elif code < 32 and code != 10:
            out.append(" ")
        else:
            out.append(char)
        old += width
    moved[old] = old - skipped
    for entity in entities:
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if start > old:
            raise TextError(f"Entity begins after the end of the text at UTF-16 offset {start}")
        if end > old:
            raise TextError(
                f"Entity beginning at UTF-16 offset {start} ends after the end of the text at "
                f"UTF-16 offset {end}"
            )
        if start not in moved or end not in moved:
            raise TextError("Entity begins in a middle of a UTF-16 symbol")
        entity["offset"], entity["length"] = moved[start], moved[end] - moved[start]
    return _RLM_RUN.sub(lambda m: "\u200c" * (len(m.group()) - 1) + m.group()[-1], "".join(out))


def _remove_empty(entities: list[Entity]) -> list[Entity]:
    required = {"text_link": "url", "custom_emoji": "custom_emoji_id", "date_time": "unix_time"}
    return [
        e
        for e in entities
        if e["length"] > 0 and (e["type"] not in required or e.get(required[e["type"]]))
    ]


def fix_formatted_text(
    text: str, entities: list[Entity], *, allow_empty: bool = True
) -> tuple[str, list[Entity]]:
    """TDLib's ``fix_formatted_text`` for a bot's text: (text, entities) as sent."""
    entities = [dict(e) for e in entities]
    for entity in entities:
        for key in ("offset", "length"):
            if not 0 <= entity[key] <= 1_000_000:
                raise TextError(f"Receive an entity with incorrect {key} {entity[key]}")
    entities = fix_entities(_remove_empty(entities))
    text = _clean(text, entities)
    entities = _remove_empty(entities)
    stripped = text.rstrip(" \n")
    if not stripped:
        if allow_empty:
            return "", []
        raise TextError("Text must be non-empty")
    entities = fix_entities(entities)
    total = utf16_len(stripped)
    clipped = []
    for entity in entities:
        if entity["offset"] < total:
            length = min(entity["length"], total - entity["offset"])
            clipped.append({**entity, "length": length})
    first = clipped[0]["offset"] if clipped else len(stripped)
    shift = 0
    while shift < first and stripped[shift] in " \n":
        shift += 1
    shifted = [{**e, "offset": e["offset"] - shift} for e in clipped]
    return stripped[shift:], sort_entities(shifted)


def parse_html(
    text: str, *, strict_amp: bool = False, allow_empty: bool = True
) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into (plain text, entities) as Telegram sends them; raise
    ParseError (or TextError) like Telegram."""
    plain, entities = _HtmlParser(text, strict_amp).run()
    return fix_formatted_text(plain, entities, allow_empty=allow_empty)


# ---------------------------------------------------------------------- the request's text


class UnsupportedParseMode(ValueError):
    """A parse_mode Telegram does not know (or fakegram does not implement: ``implemented``)."""

    def __init__(self, mode: str, known: bool) -> None:
        super().__init__(mode)
        self.mode = mode
        self.known = known


_ENTITY_FIELDS = {
    "text_link": ("url",),
    "text_mention": ("user",),
    "pre": ("language",),
    "custom_emoji": ("custom_emoji_id",),
    "date_time": ("unix_time", "date_time_format"),
}
_IGNORED_TYPES = frozenset(
    {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
     "bank_card_number"}
)  # fmt: skip
_USER_TYPES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "spoiler", "code", "blockquote",
     "expandable_blockquote"}
) | frozenset(_ENTITY_FIELDS)  # fmt: skip


def input_entities(raw: Any) -> list[Entity]:
    """``entities``/``caption_entities`` as Client::get_text_entity reads them."""
    if not isinstance(raw, list):
        raise TextError("Can't parse entities JSON object")
    entities = []
    for item in raw:
        if not isinstance(item, dict):
            raise TextError("Can't parse MessageEntity: expected an Object")
        kind = item.get("type")
        if not isinstance(item.get("offset"), int) or not isinstance(item.get("length"), int):
            raise TextError('Can\'t parse MessageEntity: Field "offset" must be a valid Number')
        if kind in _IGNORED_TYPES:
            continue
        if kind not in _USER_TYPES:
            raise TextError("Can't parse MessageEntity: Unsupported type specified")
        entity: Entity = {"type": kind, "offset": item["offset"], "length": item["length"]}
        for key in _ENTITY_FIELDS.get(kind, ()):
            if item.get(key) is not None:
                entity[key] = item[key]
        if kind == "text_link":
            entity["url"] = checked_link(str(entity.get("url", "")))
        entities.append(entity)
    return entities


def format_text(
    raw: str,
    parse_mode: str | None,
    entities: Any,
    *,
    strict_amp: bool = False,
    allow_empty: bool = True,
) -> tuple[str, list[Entity]]:
    """A request's text (or caption) as Telegram sends it: (plain text, entities).

    Raises TextError (ParseError for HTML) with TDLib's description, UnsupportedParseMode.
    """
    if len(raw.encode("utf-8", "surrogatepass")) > RAW_TEXT_LIMIT:
        raise TextError("Text is too long")
    mode = (parse_mode or "").lower()
    if raw and mode and mode != "none":
        if mode == "html":
            return parse_html(raw, strict_amp=strict_amp, allow_empty=allow_empty)
        raise UnsupportedParseMode(parse_mode or "", mode in ("markdown", "markdownv2"))
    parsed = input_entities(entities) if entities is not None else []
    return fix_formatted_text(raw, parsed, allow_empty=allow_empty)


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def bot_command_entities(text: str) -> list[Entity]:
    """Entities a Telegram client attaches to a typed text: /commands."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]
