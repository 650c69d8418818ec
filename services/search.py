"""Product search: ranked, tolerant of typos and Indonesian spelling variants, and identical on
SQLite and PostgreSQL.

Design
- Text becomes words (`words`: lowercase, unidecode, split on non-alphanumerics, stop words and
  one-letter words dropped), and every word a spelling-variant key (`variant_key`: keripik and
  kripik, sambal and sambel, tempe and tempeh share a key). Indexed text and queries go through
  the same two functions.
- The index (migration 0002) stores each product's keys in three fields: name (name, name_en),
  meta (merchant name, kecamatan, category names) and description. SQLite matches them with
  FTS5, PostgreSQL with GIN-indexed tsvectors; both only test "the field has key k", so both
  retrieve the same sets. Database triggers queue the ids of changed products (their text,
  their merchant's name or kecamatan, their category's names) in `search_queue`; the keys are
  computed here by `sync_search_index`, which `search_products` runs first when the queue is
  not empty. Deleted products lose their document by ON DELETE CASCADE; products deleted by
  their shop (deleted_at) are never found. Visibility (active product, active and open
  merchant) and stock are read live at search time.
- A query word expands, against an in-memory vocabulary of indexed keys (`search_terms`, loaded
  incrementally), to its own key (exact), to keys it is a prefix of (malang -> malangan, words
  of 3+ letters) and, only when its key is not indexed at all, to keys within a small edit
  distance (1 for 4-6 letters, 2 from 7; never for 3 letters or fewer) and to the keys those
  are a prefix of (malng -> malang -> malangan), weighted as the weaker fuzzy match.
- The database returns the ids of the matching visible products (OR of all expansions). When
  more than MAX_CANDIDATES match, the kept ones are chosen by tiers that mirror the ranking
  (all terms' own keys in the name, all terms matched with a name hit, ..., anything), each
  tier in id order (`_tiers`, `_candidates`). Python then scores the candidates with one
  deterministic function: more terms matched, then in stock before sold out, then a higher
  score (field weight name > meta > description times match quality exact > prefix > fuzzy),
  then name, then id (`_rank_key`). Same candidates and same function: same order on both
  backends.
- Weak matches are cut (`_precise`): when some results match every query word, results that
  match no more than half of the words are left out ("batik malang" shows the batik from
  Malang, not every product of Malang; with three words, two of them still count); and a
  result scoring no more than a third of the best one is left out (a word found only in a
  description, beside products that have it in their name).
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import Executable, Result, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession
from unidecode import unidecode

from models import MerchantStatus
from models.db import begin_write, is_sqlite
from services.fairness import Listed, Standing, fair_order

MAX_TERMS = 8
MAX_QUERY_CHARS = 500
MAX_WORD_CHARS = 30
MAX_CANDIDATES = 200
MAX_PAGE_SIZE = 50
MAX_PREFIX_EXPANSIONS = 20
MAX_FUZZY_EXPANSIONS = 8
SYNC_BATCH = 1000
_PG_SYNC_LOCK = 7_201_601  # pg_advisory_xact_lock key: one index writer at a time

# Words that carry no meaning for a product search (Indonesian and English).
STOP_WORDS = frozenset(
    """
    dan yang di ke dari untuk dengan atau ini itu pada dalam juga ada akan sudah saya aku kami
    kita mau cari beli jual ya yg dg dgn utk the of and a an for with to in on or at by is are
    from this that my me i want buy
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_WORD = re.compile(r"[a-z0-9]+")

# Spelling-variant rules, applied in order to a lowercase ASCII word. Each rule maps variants to
# one spelling; the mapping only has to be the same for the index and the query, not correct.
_VARIANT_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"oe", "u"),  # old spelling: Soerabaja, Djoeal
        (r"dj", "j"),  # old spelling: Djakarta
        (r"tj", "c"),  # old spelling: Tjap
        (r"nj", "ny"),  # old spelling: Njonja
        (r"sj", "sy"),  # old spelling: Sjarif
        (r"ch", "kh"),  # old spelling: Achir
        (r"kh", "h"),  # khas / has, akhir / ahir
        (r"sy", "s"),  # syukur / sukur
        (r"q", "k"),  # qurban / kurban
        (r"x", "ks"),  # taxi / taksi
        (r"z", "j"),  # zaman / jaman, izin / ijin
        # Informal dropped schwa after the first consonant: keripik / kripik, kerupuk / krupuk,
        # belimbing / blimbing, terasi / trasi.
        (r"^([b-df-hj-np-tv-z])e([rl])(?=[aeiou])", r"\1\2"),
        (r"ai$", "e"),  # cabai / cabe, petai / pete, satai / sate
        (r"au$", "o"),  # kalau / kalo
        (r"el$", "al"),  # sambel / sambal
        (r"([aeiou])h$", r"\1"),  # tempeh / tempe
        (r"([a-z])\1+", r"\1"),  # doubled letters: kopii, Allah, coffee
    )
)

# Match qualities and field weights; a term scores weight x quality of its best match.
EXACT, PREFIX, FUZZY_1, FUZZY_2 = 10, 7, 5, 4
NAME_WEIGHT, META_WEIGHT, DESC_WEIGHT = 30, 20, 10


# --- text -------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    """The searchable words of a text, in order (duplicates kept)."""
    found = _WORD.findall(unidecode(text).lower())
    return [
        w[:MAX_WORD_CHARS] for w in found if (len(w) > 1 or w.isdigit()) and w not in STOP_WORDS
    ]


def normalize_query(text: str) -> list[str]:
    """The distinct words of a query (at most MAX_TERMS), lowercase ASCII, no stop words."""
    terms: list[str] = []
    for word in words((text or "")[:MAX_QUERY_CHARS]):
        if word not in terms:
            terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


@lru_cache(maxsize=65536)
def variant_key(word: str) -> str:
    """One spelling for the Indonesian variants of a lowercase ASCII word (see _VARIANT_RULES)."""
    if word.isdigit():
        return word
    key = word
    for pattern, replacement in _VARIANT_RULES:
        key = pattern.sub(replacement, key)
    return key or word


def _field_keys(*texts: str | None) -> tuple[str, list[tuple[str, str]]]:
    """Space-separated sorted distinct keys of some texts, and their (key, word) pairs."""
    pairs = {(variant_key(w), w) for t in texts if t for w in words(t)}
    keys = sorted({k for k, _ in pairs})
    return " ".join(keys), sorted(pairs)


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    product_id: int
    name: str
    name_en: str | None
    price: int
    unit: str
    stock: int
    merchant_name: str
    kecamatan: str
    score: int
    matched_terms: int

    @property
    def sold_out(self) -> bool:
        return self.stock <= 0


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    total: int  # ranked candidates: every match, or MAX_CANDIDATES when `capped`
    page: int
    pages: int
    terms: list[str]  # normalized query words
    corrected: dict[str, str] = field(default_factory=dict)  # typed word -> indexed word used
    capped: bool = False  # more products matched than MAX_CANDIDATES


# --- vocabulary -------------------------------------------------------------------------------


NAME_FIELD, META_FIELD, DESC_FIELD = 1, 2, 3
_KEY = re.compile(r"[a-z0-9]+")


@dataclass
class _Vocabulary:
    """Indexed keys with their surface words and the fields they occur in; one per database,
    loaded incrementally. May hold words no product has any more (until a rebuild)."""

    first_id: int | None = None
    last_id: int = 0
    surfaces: dict[str, set[str]] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)  # key -> bit mask of 1 << field
    known: set[tuple[str, str, int]] = field(default_factory=set)
    _sorted: list[str] | None = None
    _by_length: dict[int, list[str]] | None = None

    def add(self, key: str, word: str, field_: int) -> None:
        if not _KEY.fullmatch(key):  # never let anything else reach a match expression
            return
        if key not in self.surfaces:
            self.surfaces[key] = set()
            self.fields[key] = 0
            self._sorted = None
            self._by_length = None
        self.surfaces[key].add(word)
        self.fields[key] |= 1 << field_
        self.known.add((key, word, field_))

    def in_field(self, keys: Iterable[str], *fields: int) -> bool:
        """Whether any of these keys was ever indexed in one of these fields."""
        mask = sum(1 << f for f in fields)
        return any(self.fields.get(k, 0) & mask for k in keys)

    @property
    def sorted_keys(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.surfaces)
        return self._sorted

    @property
    def by_length(self) -> dict[int, list[str]]:
        if self._by_length is None:
            groups: dict[int, list[str]] = {}
            for key in self.sorted_keys:
                groups.setdefault(len(key), []).append(key)
            self._by_length = groups
        return self._by_length

    def prefixed(self, key: str) -> list[str]:
        """Indexed keys that start with `key` (not `key` itself), shortest first."""
        keys = self.sorted_keys
        found = []
        i = bisect_left(keys, key)
        while i < len(keys) and keys[i].startswith(key):
            if keys[i] != key:
                found.append(keys[i])
            i += 1
        found.sort(key=lambda k: (len(k), k))
        return found[:MAX_PREFIX_EXPANSIONS]

    def similar(self, key: str, max_distance: int) -> list[tuple[str, int]]:
        """Indexed keys within `max_distance` edits (OSA: a swap counts one), closest first."""
        choices: list[str] = []
        for length in range(len(key) - max_distance, len(key) + max_distance + 1):
            choices.extend(self.by_length.get(length, ()))
        matches = process.extract(
            key, choices, scorer=OSA.distance, score_cutoff=max_distance, limit=None
        )
        ranked = sorted((distance, k) for k, distance, _ in matches if distance > 0)
        return [(k, d) for d, k in ranked[:MAX_FUZZY_EXPANSIONS]]


_vocabularies: dict[str, _Vocabulary] = {}


def _database_key(session: AsyncSession) -> str:
    bind = session.bind
    if bind is None:
        return "default"
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    return f"{engine.dialect.name}:{engine.url}"


async def _run(
    session: AsyncSession,
    sql: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Result[*tuple[Any, ...]]:
    """Run a raw SQL statement through the session (pending changes are flushed first)."""
    # SQLModel's `exec` runs any statement, but its overloads type only selects and DML.
    running = session.exec(sql, params=params)  # type: ignore[call-overload]
    rows: Result[*tuple[Any, ...]] = await running
    return rows


@dataclass(frozen=True)
class _IndexState:
    first_term: int | None
    last_term: int | None
    pending: bool


_STATE = (
    "SELECT (SELECT min(id) FROM search_terms), (SELECT max(id) FROM search_terms),"
    " (SELECT min(id) FROM search_queue)"
)
# PostgreSQL: the same round trip tunes the planner for the rest of this transaction only.
# - Plan every statement with its actual parameters: a generic plan (asyncpg prepares
#   statements, so the server switches to one after five runs) cannot estimate a tsquery and
#   walks the whole primary key, filtering every row.
# - Price random reads like the cached, SSD-backed reads they are, so that a few hundred GIN
#   hits are joined through primary keys instead of scanning all products.
_PG_STATE = (
    _STATE + ", set_config('plan_cache_mode', 'force_custom_plan', true),"
    " set_config('random_page_cost', '1.1', true)"
)


async def _index_state(session: AsyncSession) -> _IndexState:
    sql = _STATE if is_sqlite(session) else _PG_STATE
    row = (await _run(session, text(sql))).one()
    return _IndexState(row[0], row[1], row[2] is not None)


async def _vocabulary(session: AsyncSession, state: _IndexState) -> _Vocabulary:
    key = _database_key(session)
    vocab = _vocabularies.get(key)
    if (
        vocab is None
        or vocab.first_id != state.first_term
        or (state.last_term or 0) < vocab.last_id
    ):
        # First use, or the table was rebuilt: start over.
        vocab = _vocabularies[key] = _Vocabulary(first_id=state.first_term)
    if state.last_term is not None and state.last_term > vocab.last_id:
        rows = await _run(
            session,
            text("SELECT id, key, word, field FROM search_terms WHERE id > :after ORDER BY id"),
            params={"after": vocab.last_id},
        )
        for term_id, term_key, word, field_ in rows:
            vocab.add(term_key, word, field_)
            vocab.last_id = max(vocab.last_id, term_id)
    return vocab


# --- index maintenance ------------------------------------------------------------------------

_DOCUMENT_SOURCE = text(
    "SELECT p.id, p.name, p.name_en, p.description, p.description_en,"
    " m.name, m.kecamatan, c.name_id, c.name_en"
    " FROM products p"
    " JOIN merchants m ON m.id = p.merchant_id"
    " JOIN categories c ON c.id = p.category_id"
    " WHERE p.id IN :ids"
).bindparams(bindparam("ids", expanding=True))

_UPSERT_DOCUMENT = text(
    "INSERT INTO search_documents (product_id, name_keys, meta_keys, desc_keys)"
    " VALUES (:product_id, :name_keys, :meta_keys, :desc_keys)"
    " ON CONFLICT (product_id) DO UPDATE SET name_keys = excluded.name_keys,"
    " meta_keys = excluded.meta_keys, desc_keys = excluded.desc_keys"
)

_INSERT_TERM = text(
    "INSERT INTO search_terms (key, word, field) VALUES (:key, :word, :field)"
    " ON CONFLICT (key, word, field) DO NOTHING"
)


async def _lock_index(session: AsyncSession) -> None:
    """Serialize index writers (and so make search_terms ids commit in increasing order)."""
    await begin_write(session)  # SQLite: BEGIN IMMEDIATE
    if not is_sqlite(session):
        await _run(
            session, text("SELECT pg_advisory_xact_lock(:key)"), params={"key": _PG_SYNC_LOCK}
        )


async def _index_products(session: AsyncSession, product_ids: list[int]) -> int:
    """Recompute the documents of these products (deleted ones lose theirs)."""
    vocab = await _vocabulary(session, await _index_state(session))
    rows = (await _run(session, _DOCUMENT_SOURCE, params={"ids": product_ids})).all()
    documents: list[dict[str, Any]] = []
    new_terms: set[tuple[str, str, int]] = set()
    for pid, name, name_en, desc, desc_en, m_name, kecamatan, c_name, c_name_en in rows:
        name_keys, name_pairs = _field_keys(name, name_en)
        meta_keys, meta_pairs = _field_keys(m_name, kecamatan, c_name, c_name_en)
        desc_keys, desc_pairs = _field_keys(desc, desc_en)
        documents.append(
            {
                "product_id": pid,
                "name_keys": name_keys,
                "meta_keys": meta_keys,
                "desc_keys": desc_keys,
            }
        )
        for field_, pairs in (
            (NAME_FIELD, name_pairs),
            (META_FIELD, meta_pairs),
            (DESC_FIELD, desc_pairs),
        ):
            new_terms.update((k, w, field_) for k, w in pairs if (k, w, field_) not in vocab.known)
    if documents:
        await _run(session, _UPSERT_DOCUMENT, params=documents)
    gone = sorted(set(product_ids) - {d["product_id"] for d in documents})
    if gone:
        await _run(
            session,
            text("DELETE FROM search_documents WHERE product_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            params={"ids": gone},
        )
    if new_terms:
        await _run(
            session,
            _INSERT_TERM,
            params=[{"key": k, "word": w, "field": f} for k, w, f in sorted(new_terms)],
        )
    return len(documents)


async def sync_search_index(session: AsyncSession) -> int:
    """Index the products queued by the database triggers; returns the documents written.

    Commits. Runs by itself before each search when the queue is not empty; call it after bulk
    imports so that the first search after them stays fast.
    """
    await _lock_index(session)
    written = 0
    try:
        while True:
            queued = (
                await _run(
                    session,
                    text("SELECT id, product_id FROM search_queue ORDER BY id LIMIT :n"),
                    params={"n": SYNC_BATCH},
                )
            ).all()
            if not queued:
                break
            written += await _index_products(session, sorted({pid for _, pid in queued}))
            # Delete exactly the rows read: a row queued meanwhile by another transaction stays.
            await _run(
                session,
                text("DELETE FROM search_queue WHERE id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                ),
                params={"ids": [qid for qid, _ in queued]},
            )
        await session.commit()
    except BaseException:
        # The cache may hold terms of this transaction: forget it with the transaction.
        _vocabularies.pop(_database_key(session), None)
        await session.rollback()
        raise
    return written


async def rebuild_search_index(session: AsyncSession) -> int:
    """Recompute every document and the vocabulary from scratch (after a restore, or when a
    migration dropped the triggers). Commits; returns the number of documents."""
    await _lock_index(session)
    await _run(session, text("DELETE FROM search_queue"))
    await _run(session, text("DELETE FROM search_documents"))
    await _run(session, text("DELETE FROM search_terms"))
    _vocabularies.pop(_database_key(session), None)
    await _run(session, text("INSERT INTO search_queue (product_id) SELECT id FROM products"))
    await session.commit()
    return await sync_search_index(session)


async def reindex_merchant(session: AsyncSession, merchant_id: int) -> int:
    """Recompute a merchant's product documents now. Not needed after a rename (the triggers
    queue them and the next search indexes them); for callers that want the work done at once.
    Commits the session."""
    await _run(
        session,
        text(
            "INSERT INTO search_queue (product_id) SELECT id FROM products"
            " WHERE merchant_id = :merchant_id"
        ),
        params={"merchant_id": merchant_id},
    )
    return await sync_search_index(session)


# --- query ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    word: str
    key: str
    expansions: dict[str, int]  # indexed key -> match quality


def _expand(word: str, vocab: _Vocabulary) -> _Term:
    key = variant_key(word)
    expansions = {key: EXACT}
    if len(key) >= 3:
        for longer in vocab.prefixed(key):
            expansions[longer] = PREFIX
    if key not in vocab.surfaces and len(word) > 3 and len(key) > 3:
        max_distance = 1 if len(key) <= 6 else 2
        for similar, distance in vocab.similar(key, max_distance):
            quality = FUZZY_1 if distance == 1 else FUZZY_2
            expansions.setdefault(similar, quality)
            # The word it was meant to be also finds what that word finds: malng -> malang
            # -> malangan.
            for longer in vocab.prefixed(similar):
                expansions.setdefault(longer, FUZZY_2)
    return _Term(word, key, expansions)


def _fts_or(keys: list[str]) -> str:
    return " OR ".join(f'"{k}"' for k in keys)


def _ts_or(keys: list[str], weight: str = "") -> str:
    return " | ".join(f"'{k}'{weight}" for k in keys)


_Tier = tuple[tuple[str, str], ...]  # (index column, match expression) pairs, all must match


def _tiers(terms: list[_Term], vocab: _Vocabulary, sqlite: bool) -> list[list[_Tier]]:
    """Match conditions that choose the kept candidates when there are too many, best first,
    mirroring the ranking: every term's own key in the name; (several terms:) every term
    matched with a name hit, with a name or meta hit, anywhere; a name or meta hit; anything.
    They come as chains: each tier of a chain is contained in the next one (that lets
    _candidates skip tiers); the very last tier is the broadest. Tiers the vocabulary proves
    empty are left out. No negation: PostgreSQL misestimates negated queries and then reads
    the whole table in id order. Keys are [a-z0-9]+: quoting them is safe."""
    any_keys = sorted({k for t in terms for k in t.expansions})
    per_term = [sorted(t.expansions) for t in terms]
    if sqlite:
        any_ = _fts_or(any_keys)
        all_ = " AND ".join(f"({_fts_or(keys)})" for keys in per_term)
        name = f"{{name_keys}} : ({any_})"
        strong = f"{{name_keys meta_keys}} : ({any_})"
        exact: _Tier = (("fts", " AND ".join(f'{{name_keys}} : "{t.key}"' for t in terms)),)
        tier_name: _Tier = (("fts", name),)
        tier_strong: _Tier = (("fts", strong),)
        tier_all: _Tier = (("fts", all_),)
        both: _Tier = (("fts", f"({all_}) AND ({name})"),)
        all_strong: _Tier = (("fts", f"({all_}) AND ({strong})"),)
        broadest: _Tier = (("fts", any_),)
    else:
        any_ = _ts_or(any_keys)
        all_ = " & ".join(f"({_ts_or(keys)})" for keys in per_term)
        exact = (("name_tsv", " & ".join(f"'{t.key}'" for t in terms)),)
        tier_name = (("name_tsv", any_),)
        tier_strong = (("strong_tsv", any_),)
        tier_all = (("tsv", all_),)
        both = (("tsv", all_), ("name_tsv", any_))
        all_strong = (("tsv", all_), ("strong_tsv", any_))
        broadest = (("tsv", any_),)
    has_exact = all(vocab.in_field([t.key], NAME_FIELD) for t in terms)
    has_name = vocab.in_field(any_keys, NAME_FIELD)
    has_strong = vocab.in_field(any_keys, NAME_FIELD, META_FIELD)
    if len(terms) == 1:  # all = any
        chains = [
            [
                (has_exact, exact),
                (has_name, tier_name),
                (has_strong, tier_strong),
                (True, broadest),
            ]
        ]
    else:
        chains = [
            [(has_exact, exact), (has_name, both), (has_strong, all_strong), (True, tier_all)],
            [(has_strong, tier_strong), (True, broadest)],
        ]
    result: list[list[_Tier]] = []
    for chain in chains:
        kept: list[_Tier] = []
        for possible, tier in chain:
            if possible and tier not in kept:
                kept.append(tier)
        result.append(kept)
    return result


# Products deleted by their shop (kept for past order lines) are never found.
_NOT_DELETED = " AND p.deleted_at IS NULL"
_VISIBLE = " AND p.is_active AND m.is_open AND m.status = :active"


# What ranking needs of a candidate; each tier's statement returns it with the ids, so that no
# second round trip fetches it.
_COLUMNS = (
    "d.product_id, d.name_keys, d.meta_keys, d.desc_keys, p.name, p.name_en, p.price,"
    " p.unit, p.stock, m.name, m.kecamatan, p.merchant_id, p.created_at"
)


def _tier_sql(tier: _Tier, *, sqlite: bool, include_hidden: bool) -> str:
    """The candidates matching a tier (_COLUMNS), visible ones only unless include_hidden, by
    id, :n at most (ordered by id so that the database can stop early; FTS5 yields rowids in
    order)."""
    visible = _NOT_DELETED + ("" if include_hidden else _VISIBLE)
    if sqlite:
        return (
            f"SELECT {_COLUMNS} FROM search_fts"
            " JOIN products p ON p.id = search_fts.rowid"
            " JOIN merchants m ON m.id = p.merchant_id"
            " JOIN search_documents d ON d.product_id = search_fts.rowid"
            f" WHERE search_fts MATCH :q0{visible}"
            " ORDER BY search_fts.rowid LIMIT :n"
        )
    match = " AND ".join(
        f"d.{column} @@ CAST(:q{i} AS tsquery)" for i, (column, _) in enumerate(tier)
    )
    return (
        f"SELECT {_COLUMNS} FROM search_documents d"
        " JOIN products p ON p.id = d.product_id"
        " JOIN merchants m ON m.id = p.merchant_id"
        f" WHERE {match}{visible}"
        " ORDER BY d.product_id LIMIT :n"
    )


async def _candidates(
    session: AsyncSession, terms: list[_Term], vocab: _Vocabulary, *, include_hidden: bool
) -> tuple[list[Any], bool]:
    """Up to MAX_CANDIDATES matching products and whether more exist. When there are more, the
    kept ones are taken tier by tier (see _tiers), each tier in id order."""
    sqlite = is_sqlite(session)
    if not any(k in vocab.surfaces for t in terms for k in t.expansions):
        return [], False  # no indexed word: nothing can match
    base: dict[str, Any] = {} if include_hidden else {"active": MerchantStatus.ACTIVE.value}
    # A tier holds at most len(ids) earlier rows, so its first MAX_CANDIDATES + 1 rows always
    # contain enough new ones to fill the list and tell whether more exist.
    base["n"] = MAX_CANDIDATES + 1
    found: dict[int, Any] = {}  # product id -> its row, from whichever tier had it

    async def fetch(tier: _Tier) -> list[int]:
        sql = _tier_sql(tier, sqlite=sqlite, include_hidden=include_hidden)
        params = {**base, **{f"q{i}": expression for i, (_, expression) in enumerate(tier)}}
        rows = (await _run(session, text(sql), params=params)).all()
        found.update((row[0], row) for row in rows)
        return [row[0] for row in rows]

    chains = _tiers(terms, vocab, sqlite)
    broadest_tier = chains[-1][-1]
    # Most queries match fewer products than that: the broadest tier alone then gives them all.
    broadest = await fetch(broadest_tier)
    if len(broadest) <= MAX_CANDIDATES:
        ids, capped = broadest, False
    else:
        # Keep tier after tier, each in id order, until full. When the last tier of a chain
        # fits completely, the smaller tiers before it are inside it: no need to ask for them.
        ids, capped = [], True
        fetched = {broadest_tier: broadest}
        for chain in chains:
            if chain[-1] not in fetched:
                fetched[chain[-1]] = await fetch(chain[-1])
            kept = set(ids)
            top = [p for p in fetched[chain[-1]] if p not in kept]
            if len(fetched[chain[-1]]) <= MAX_CANDIDATES and len(top) <= MAX_CANDIDATES - len(ids):
                ids.extend(top)
                continue
            for tier in chain:
                if tier not in fetched:
                    fetched[tier] = await fetch(tier)
                kept = set(ids)
                ids.extend(
                    [p for p in fetched[tier] if p not in kept][: MAX_CANDIDATES - len(ids)]
                )
                if len(ids) == MAX_CANDIDATES:
                    break
            if len(ids) == MAX_CANDIDATES:
                break
    return [found[i] for i in ids], capped


def _rank_key(matched: int, score: int, stock: int, name: str, product_id: int) -> tuple:
    """The one ordering of results: more terms matched, in stock before sold out, score, name,
    id."""
    return (-matched, stock <= 0, -score, name.casefold(), product_id)


def _score(
    rows: list[Any], terms: list[_Term]
) -> tuple[list[tuple[list[int], int, Any]], set[str]]:
    """Each candidate's best score per term and total (best, score, row), and the indexed keys
    that matched anything."""
    # key -> [(term index, quality)]
    lookup: dict[str, list[tuple[int, int]]] = {}
    for index, term in enumerate(terms):
        for key, quality in term.expansions.items():
            lookup.setdefault(key, []).append((index, quality))
    fields = ((1, NAME_WEIGHT), (2, META_WEIGHT), (3, DESC_WEIGHT))
    hit_keys: set[str] = set()
    scored = []
    for row in rows:
        best = [0] * len(terms)  # best weight x quality per term
        for column, weight in fields:
            for key in row[column].split():
                matches = lookup.get(key)
                if matches:
                    hit_keys.add(key)
                    for index, quality in matches:
                        best[index] = max(best[index], weight * quality)
        scored.append((best, sum(best), row))
    return scored, hit_keys


def _created(value: object) -> datetime | None:
    """A created_at read by a text() statement (SQLite gives it as text)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _fair(ranked: list[Any], standing: Standing, words_: list[str]) -> list[Any]:
    """Ranked hits (key, matched, score, row) in the fair order among equal relevance."""

    def listed(item: Any) -> Listed:
        _, matched, score, row = item
        merchant_id = row[11]
        relevance = (-matched, standing.is_capped(merchant_id), row[8] <= 0, -score)
        return Listed(row[0], merchant_id, row[8] > 0, _created(row[12]), relevance, row[4])

    return fair_order(ranked, listed, standing, salt="s" + " ".join(words_))


# A result scoring no more than this share of the best result is cut: beside a product with the
# word in its name (weight 30), one with it only in its description (10) is left out, one with
# it in its shop's name or category (20), or a misspelt name (15), stays.
WEAK_SHARE = 1 / 3


def _precise(scored: list[tuple[list[int], int, Any]]) -> list[tuple[list[int], int, Any]]:
    """The candidates worth showing, of (best score per term, score, row); see the module doc."""
    if not scored:
        return scored
    terms = len(scored[0][0])
    # Words no candidate has (a typo nothing resembles) cannot be asked of any result.
    matchable = [i for i in range(terms) if any(best[i] for best, _, _ in scored)]
    if any(all(best[i] for i in matchable) for best, _, _ in scored):
        scored = [
            hit for hit in scored if 2 * sum(1 for i in matchable if hit[0][i]) > len(matchable)
        ]
    top = max(score for _, score, _ in scored)
    return [hit for hit in scored if hit[1] > WEAK_SHARE * top]


def _corrections(terms: list[_Term], vocab: _Vocabulary, hit_keys: set[str]) -> dict[str, str]:
    """For each typed word that is not itself an indexed word, the indexed word it found."""
    corrected: dict[str, str] = {}
    for term in terms:
        if term.word in vocab.surfaces.get(term.key, ()):
            continue
        used = [(-quality, key) for key, quality in term.expansions.items() if key in hit_keys]
        for _, key in sorted(used):
            surfaces = sorted(vocab.surfaces.get(key, ()))
            if surfaces:
                corrected[term.word] = surfaces[0]
                break
    return corrected


async def search_products(
    session: AsyncSession,
    query: str,
    *,
    page: int = 0,
    page_size: int = 8,
    include_hidden: bool = False,
    standing: Standing | None = None,
) -> SearchPage:
    """One page of the products matching a free-text query, best first (see module doc).

    Any text is accepted; an empty or stop-word-only query gives an empty page. Hidden products
    (inactive, or of a suspended or closed merchant) are left out unless include_hidden.
    When products changed since the last search, their documents are recomputed first, which
    commits the session's transaction; that step is skipped (results may then be slightly
    stale) while the session holds unflushed changes.

    With this month's `standing`, hits of equal relevance (terms matched, stock, score) are in
    the fair order (services.fairness), and capped shops come after the other hits with as
    many terms matched (or are left out, `hide_capped`); hits of different relevance keep
    their order.
    """
    words_ = normalize_query(query)
    page_size = min(max(page_size, 1), MAX_PAGE_SIZE)
    if not words_:
        return SearchPage([], 0, 0, 1, [], {})
    state = await _index_state(session)
    if state.pending and not (session.new or session.dirty or session.deleted):
        await sync_search_index(session)
        state = await _index_state(session)
    vocab = await _vocabulary(session, state)
    terms = [_expand(w, vocab) for w in words_]
    rows, capped = await _candidates(session, terms, vocab, include_hidden=include_hidden)

    scored, hit_keys = _score(rows, terms)
    ranked = []
    for best, score, row in _precise(scored):
        matched = len(terms) - best.count(0)
        ranked.append((_rank_key(matched, score, row[8], row[4], row[0]), matched, score, row))
    ranked.sort(key=lambda item: item[0])
    if standing is not None:
        ranked = _fair(ranked, standing, words_)

    pages = max(1, math.ceil(len(ranked) / page_size))
    page = min(max(page, 0), pages - 1)
    items = [
        SearchHit(
            product_id=row[0],
            name=row[4],
            name_en=row[5],
            price=row[6],
            unit=row[7],
            stock=row[8],
            merchant_name=row[9],
            kecamatan=row[10],
            score=score,
            matched_terms=matched,
        )
        for _, matched, score, row in ranked[page * page_size : (page + 1) * page_size]
    ]
    return SearchPage(
        items=items,
        total=len(ranked),
        page=page,
        pages=pages,
        terms=words_,
        corrected=_corrections(terms, vocab, hit_keys),
        capped=capped,
    )
