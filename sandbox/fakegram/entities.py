"""Message entities normalised as TDLib does before a text is sent (``fix_entities`` and its
helpers in td/telegram/MessageEntity.cpp): nested entities of the same kind merge, bold and
the like are split around code and pre (and dropped inside them), continuous entities (links,
custom emoji, code, pre) never overlap, block quotes never nest.

Entities are Bot API ``MessageEntity`` dicts; offsets and lengths are UTF-16 code units.
"""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]

# MessageEntity::get_type_priority, by Bot API type ("pre" with a language is TDLib's PreCode)
_PRIORITY = {
    "mention": 50, "hashtag": 50, "bot_command": 50, "url": 50, "email": 50, "bold": 90,
    "italic": 91, "code": 20, "pre": 11, "text_link": 49, "text_mention": 49, "cashtag": 50,
    "phone_number": 50, "underline": 92, "strikethrough": 93, "blockquote": 0,
    "bank_card_number": 50, "spoiler": 94, "custom_emoji": 99, "expandable_blockquote": 0,
    "date_time": 30,
}  # fmt: skip
SPLITTABLE = ("bold", "italic", "underline", "strikethrough", "spoiler")
BLOCKQUOTE = frozenset({"blockquote", "expandable_blockquote"})
PRE = frozenset({"pre", "code", "date_time"})  # get_pre_entities_mask
CONTINUOUS = frozenset(
    {
        "mention", "hashtag", "bot_command", "url", "email", "text_link", "text_mention",
        "cashtag", "phone_number", "bank_card_number", "custom_emoji",
    }
)  # fmt: skip
_INT_MAX = 2**31 - 1


def _priority(entity: Entity) -> int:
    if entity["type"] == "pre" and entity.get("language"):
        return 10
    return _PRIORITY.get(entity["type"], 50)


def sort_key(entity: Entity) -> tuple[int, int, int]:
    """MessageEntity::operator<: by offset, longer first, then by type priority."""
    return entity["offset"], -entity["length"], _priority(entity)


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=sort_key)


def _end(entity: Entity) -> int:
    return int(entity["offset"] + entity["length"])


def are_entities_valid(entities: list[Entity]) -> bool:
    """TDLib's ``are_entities_valid``: nothing to fix (``entities`` sorted)."""
    end_pos = dict.fromkeys(SPLITTABLE, -1)
    stack: list[Entity] = []
    for entity in entities:
        while stack and entity["offset"] >= _end(stack[-1]):
            stack.pop()
        kind = entity["type"]
        if stack:
            kinds = {e["type"] for e in stack}
            parent = stack[-1]["type"]
            if (
                _end(entity) > _end(stack[-1])
                or kind in kinds
                or parent in PRE
                or (kind in PRE and kinds - BLOCKQUOTE)
                or ((kind in CONTINUOUS or kind in BLOCKQUOTE) and kinds & CONTINUOUS)
                or (kind in BLOCKQUOTE and kinds & BLOCKQUOTE)
                or kinds & set(SPLITTABLE)
            ):
                return False
        if kind in end_pos:
            if end_pos[kind] >= entity["offset"]:
                return False
            end_pos[kind] = _end(entity)
        stack.append(entity)
    return True


def remove_intersecting_entities(entities: list[Entity]) -> list[Entity]:
    """Keep the entities that start after the end of every kept one (``entities`` sorted)."""
    kept: list[Entity] = []
    last_end = 0
    for entity in entities:
        if entity["offset"] >= last_end:
            last_end = _end(entity)
            kept.append(entity)
    return kept


def remove_entities_intersecting_blockquote(
    entities: list[Entity], blockquotes: list[Entity]
) -> list[Entity]:
    kept: list[Entity] = []
    index = 0
    for entity in entities:
        while index < len(blockquotes) and _end(blockquotes[index]) <= entity["offset"]:
            index += 1
        if index < len(blockquotes):
            quote = blockquotes[index]
            if _end(quote) < _end(entity) or (entity["offset"] < quote["offset"] < _end(entity)):
                continue
        kept.append(entity)
    return kept


class _Splitter:
    """TDLib's ``split_entities``: splittable entities cut at the bounds of the others and
    dropped inside pre/code."""

    def __init__(self, splittable: list[Entity]) -> None:
        self.entities = splittable
        self.next = 0
        self.begin = dict.fromkeys(SPLITTABLE, 0)
        self.end = dict.fromkeys(SPLITTABLE, 0)
        self.result: list[Entity] = []

    def flush(self, offset: int) -> None:
        for kind in SPLITTABLE:
            begin, end = self.begin[kind], self.end[kind]
            if end != 0 and begin < offset:
                if end <= offset:
                    self.result.append({"type": kind, "offset": begin, "length": end - begin})
                    self.begin[kind] = self.end[kind] = 0
                else:
                    self.result.append({"type": kind, "offset": begin, "length": offset - begin})
                    self.begin[kind] = offset

    def add(self, end_offset: int) -> None:
        while self.next < len(self.entities):
            entity = self.entities[self.next]
            if entity["offset"] >= end_offset:
                break
            kind = entity["type"]
            if entity["offset"] <= self.end[kind] and self.end[kind] != 0:
                self.end[kind] = max(self.end[kind], _end(entity))
            else:
                self.flush(entity["offset"])
                self.begin[kind], self.end[kind] = entity["offset"], _end(entity)
            self.next += 1
        self.flush(end_offset)


def split_entities(splittable: list[Entity], others: list[Entity]) -> list[Entity]:
    splitter = _Splitter(splittable)
    stack: list[Entity] = []

    def add_offset(offset: int) -> None:
        while stack and offset >= _end(stack[-1]):
            kept = len(splitter.result)
            splitter.add(_end(stack[-1]))
            if stack[-1]["type"] in PRE:
                del splitter.result[kept:]
            stack.pop()
        splitter.add(offset)

    for other in others:
        add_offset(other["offset"])
        stack.append(other)
    add_offset(_INT_MAX)
    return sort_entities(splitter.result)


def fix_entities(entities: list[Entity]) -> list[Entity]:
    """TDLib's ``fix_entities``."""
    entities = sort_entities(entities)
    if are_entities_valid(entities):
        return entities
    splittable = [e for e in entities if e["type"] in SPLITTABLE]
    quotes = [e for e in entities if e["type"] in BLOCKQUOTE]
    continuous = remove_intersecting_entities(
        [e for e in entities if e["type"] not in SPLITTABLE and e["type"] not in BLOCKQUOTE]
    )
    if quotes:
        quotes = remove_intersecting_entities(quotes)
        continuous = sort_entities(
            remove_entities_intersecting_blockquote(continuous, quotes) + quotes
        )
    if not splittable:
        return continuous
    split = split_entities(splittable, continuous)
    return sort_entities(continuous + split) if continuous else split
