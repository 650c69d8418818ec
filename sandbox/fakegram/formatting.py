"""Telegram text formatting: HTML parse mode, entity offsets in UTF-16 units, trimming.

The HTML parser follows TDLib's ``parse_html`` (the code behind the Bot API), including its
error descriptions, so a bad message fails here exactly as it would on Telegram. One deliberate
difference: a bare ``&`` that does not start a valid entity is refused when ``strict_amp`` is on
(Telegram's documentation requires escaping it; TDLib keeps it literally), because an unescaped
``&`` in a message usually means a user-supplied string was not escaped.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n\f\v"
_TRIM = " \t\r\n\f\v\u00a0\u2028\u2029"


class ParseError(Exception):
    """Raised with TDLib's description when entities can't be parsed."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``text[i] == '&'``; return (char, next index)."""
    end = text.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = text[i + 1 : end]
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body], end + 1
    if body.startswith("#") and len(body) > 1:
        try:
            code = int(body[2:], 16) if body[1] in "xX" else int(body[1:], 10)
        except ValueError:
            return None
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            return chr(code), end + 1
    return None


def decode_html_entities(text: str) -> str:
    """Decode the entities Telegram knows, leaving anything else as it is."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&" and (decoded := _decode_entity(text, i)) is not None:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_html(text: str, *, strict_amp: bool = True) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into (plain text, entities); raise ParseError like Telegram."""
    out: list[str] = []
    pos = 0  # UTF-16 offset in the output
    stack: list[tuple[str, str, int]] = []  # (tag, argument, start offset)
    entities: list[Entity] = []
    n = len(text)
    i = 0

    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                pos += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_amp:
                raise ParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(text, i)}; write it as &amp;'
                )
        if c != "<":
            out.append(c)
            pos += utf16_len(c)
            i += 1
            continue

        begin = i
        if _char_at(text, i + 1) != "/":
            tag, argument, i = _start_tag(text, begin)
            stack.append((tag, argument, pos))
            continue

        if not stack:
            raise ParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        end_name, i = _end_tag(text, begin)
        tag, argument, start = stack.pop()
        if end_name and end_name != tag:
            raise ParseError(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        length = pos - start
        if length > 0:
            entities.append(_closed_entity(tag, argument, start, length, out, entities))

    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    plain = "".join(out)
    # a language on <code> only counts inside <pre>
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return trim(plain, sort_entities(entities))


def _char_at(text: str, k: int) -> str:
    return text[k] if k < len(text) else ""


def _start_tag(text: str, begin: int) -> tuple[str, str, int]:
    """The start tag at ``text[begin]`` ("<"): (tag, argument, the index after its ">")."""
    n = len(text)
    i = begin + 1
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    if i >= n:
        raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    tag = text[begin + 1 : i].lower()
    if tag not in SUPPORTED_TAGS:
        raise ParseError(
            f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
        )
    argument = ""
    while _char_at(text, i) != ">":
        while i < n and text[i] in _SPACE:
            i += 1
        if _char_at(text, i) == ">":
            break
        if i >= n:
            raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        name_start = i
        while i < n and text[i] not in _SPACE and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        while i < n and text[i] in _SPACE:
            i += 1
        if _char_at(text, i) != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "1"
                continue
            raise ParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        value, i = _attribute_value(text, i)
        if i >= n:
            raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[3:]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            argument = "1"
    if tag == "span" and argument != "spoiler":
        raise ParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
        )
    return tag, argument, i + 1  # past the ">"


def _attribute_value(text: str, i: int) -> tuple[str, int]:
    """An attribute's value at ``text[i]``, quoted or a bare token: (value, the index after)."""
    n = len(text)
    if text[i] not in "'\"":
        token_start = i
        while i < n and (text[i].isalnum() or text[i] in ".-"):
            i += 1
        if _char_at(text, i) not in _SPACE + ">" or i >= n:
            raise ParseError(
                f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
            )
        return text[token_start:i].lower(), i
    quote = text[i]
    i += 1
    value_chars: list[str] = []
    while i < n and text[i] != quote:
        if text[i] == "&" and (decoded := _decode_entity(text, i)):
            value_chars.append(decoded[0])
            i = decoded[1]
            continue
        value_chars.append(text[i])
        i += 1
    if i < n:
        i += 1
    return "".join(value_chars), i


def _end_tag(text: str, begin: int) -> tuple[str, int]:
    """The end tag at ``text[begin]`` ("</"): (its name, maybe empty; the index after its ">")."""
    n = len(text)
    i = begin + 2
    name_start = i
    while i < n and text[i] not in _SPACE and text[i] != ">":
        i += 1
    end_name = text[name_start:i].lower()
    while i < n and text[i] in _SPACE:
        i += 1
    if _char_at(text, i) != ">":
        raise ParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
    return end_name, i + 1


def _closed_entity(
    tag: str, argument: str, start: int, length: int, out: list[str], entities: list[Entity]
) -> Entity:
    """The entity of a closed tag (`out`: the text so far; a <pre> takes over the <code> of
    the same span from `entities`)."""
    entity: Entity = {"type": _ENTITY_TYPE[tag], "offset": start, "length": length}
    if tag == "a":
        url = argument or "".join(out)[_index_of_utf16(out, start) :]
        entity["url"] = url
    elif tag == "tg-emoji":
        if not argument.isdigit():
            raise ParseError("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = argument
    elif tag == "blockquote" and argument:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and argument:
        entity["language"] = argument
    elif tag == "pre":
        inner = _pop_same_span_code(entities, start, length)
        if inner and inner.get("language"):
            entity["language"] = inner["language"]
    return entity


def _index_of_utf16(chars: list[str], utf16_offset: int) -> int:
    text = "".join(chars)
    units = 0
    for index, ch in enumerate(text):
        if units >= utf16_offset:
            return index
        units += utf16_len(ch)
    return len(text)


def _pop_same_span_code(entities: list[Entity], start: int, length: int) -> Entity | None:
    for index in range(len(entities) - 1, -1, -1):
        e = entities[index]
        if e["type"] == "code" and e["offset"] == start and e["length"] == length:
            return entities.pop(index)
    return None


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip leading/trailing whitespace as Telegram does and clip the entities."""
    stripped_left = text.lstrip(_TRIM)
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip(_TRIM)
    total = utf16_len(result)
    fixed: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")


def bot_command_entities(text: str) -> list[Entity]:
    """Entities a Telegram client attaches to a typed text: /commands."""
    entities = []
    for match in _COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


def format_text(
    raw: str,
    parse_mode: str | None,
    entities: list[Entity] | None,
    *,
    strict_amp: bool = True,
) -> tuple[str, list[Entity]]:
    """Turn a request's text (or caption) into (plain text, entities) or raise ParseError.

    Raises ValueError for a parse mode this fake does not implement.
    """
    mode = (parse_mode or "").strip()
    if entities:
        # explicit entities win over parse_mode, as on Telegram
        return trim(raw, sort_entities([dict(e) for e in entities]))
    if not mode:
        return trim(raw, [])
    if mode.lower() == "html":
        return parse_html(raw, strict_amp=strict_amp)
    raise ValueError(mode)
