"""product search index

Revision ID: 0002
Revises: 0001

Tables (not SQLModel models: only services/search.py reads and writes them):
- search_documents: one row per product with its search keys (see services/search.py), in three
  space-separated columns: name_keys (name, name_en), meta_keys (merchant name, kecamatan,
  category names), desc_keys (description, description_en). The keys are computed in Python
  (spelling-variant normalisation), so both backends index exactly the same tokens.
  Deleting a product deletes its document (ON DELETE CASCADE).
- search_queue: product ids whose document must be recomputed. Database triggers fill it when a
  product is inserted or its text, merchant or category changes, when a merchant's name or
  kecamatan changes, and when a category is renamed; any write path (ORM, bulk SQL, another
  process) is therefore covered. services.search drains it before searching.
- search_terms: the vocabulary (variant key, surface word, field 1 name / 2 meta /
  3 description) that query words are expanded against; append-only between rebuilds, ids
  only grow (the in-memory cache loads increments).

Indexes:
- SQLite: FTS5 table search_fts, external content = search_documents, kept in sync by triggers
  on search_documents. Tokenizer unicode61: the keys are already ASCII [a-z0-9]+ separated by
  spaces, so the tokenizer only splits on spaces (fuzzy and prefix matching happen on the
  vocabulary in Python, not with a trigram index). detail=column keeps column filters (name hits)
  without storing positions.
- PostgreSQL: three generated tsvector columns, each with a GIN index: name_tsv (name keys),
  strong_tsv (name and meta keys), tsv (all keys). Separate columns rather than one weighted
  vector: the planner estimates a weight-restricted query ('k':A) from all occurrences of k
  and then reads the whole table in id order. The vectors are cast from the key text (the keys
  are [a-z0-9]+ separated by spaces, so the literal needs no quoting) rather than built with
  to_tsvector, whose parser would split some keys (12e3x -> 12e3, x).

Caveat for later migrations: a SQLite batch operation that recreates products, merchants or
categories drops their triggers; recreate them (copy the statements below) and call
services.search.rebuild_search_index afterwards.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRODUCT_TEXT = ("name", "name_en", "description", "description_en", "merchant_id", "category_id")

_SQLITE_UP = [
    """
    CREATE TABLE search_documents (
        product_id INTEGER NOT NULL PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
        name_keys TEXT NOT NULL DEFAULT '',
        meta_keys TEXT NOT NULL DEFAULT '',
        desc_keys TEXT NOT NULL DEFAULT ''
    )
    """,
    """
    CREATE VIRTUAL TABLE search_fts USING fts5 (
        name_keys, meta_keys, desc_keys,
        content = 'search_documents', content_rowid = 'product_id',
        tokenize = 'unicode61 remove_diacritics 2', detail = 'column', columnsize = 0
    )
    """,
    """
    CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts (rowid, name_keys, meta_keys, desc_keys)
        VALUES (new.product_id, new.name_keys, new.meta_keys, new.desc_keys);
    END
    """,
    """
    CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name_keys, meta_keys, desc_keys)
        VALUES ('delete', old.product_id, old.name_keys, old.meta_keys, old.desc_keys);
    END
    """,
    """
    CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts (search_fts, rowid, name_keys, meta_keys, desc_keys)
        VALUES ('delete', old.product_id, old.name_keys, old.meta_keys, old.desc_keys);
        INSERT INTO search_fts (rowid, name_keys, meta_keys, desc_keys)
        VALUES (new.product_id, new.name_keys, new.meta_keys, new.desc_keys);
    END
    """,
    """
    CREATE TABLE search_queue (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        product_id INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE search_terms (
        id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        word TEXT NOT NULL,
        field SMALLINT NOT NULL,
        UNIQUE (key, word, field)
    )
    """,
    """
    CREATE TRIGGER products_search_ai AFTER INSERT ON products BEGIN
        INSERT INTO search_queue (product_id) VALUES (new.id);
    END
    """,
    f"""
    CREATE TRIGGER products_search_au AFTER UPDATE OF {", ".join(_PRODUCT_TEXT)} ON products
    WHEN {" OR ".join(f"old.{c} IS NOT new.{c}" for c in _PRODUCT_TEXT)}
    BEGIN
        INSERT INTO search_queue (product_id) VALUES (new.id);
    END
    """,
    """
    CREATE TRIGGER merchants_search_au AFTER UPDATE OF name, kecamatan ON merchants
    WHEN old.name IS NOT new.name OR old.kecamatan IS NOT new.kecamatan
    BEGIN
        INSERT INTO search_queue (product_id) SELECT id FROM products WHERE merchant_id = new.id;
    END
    """,
    """
    CREATE TRIGGER categories_search_au AFTER UPDATE OF name_id, name_en ON categories
    WHEN old.name_id IS NOT new.name_id OR old.name_en IS NOT new.name_en
    BEGIN
        INSERT INTO search_queue (product_id) SELECT id FROM products WHERE category_id = new.id;
    END
    """,
    # Products that exist already are indexed at the first search.
    "INSERT INTO search_queue (product_id) SELECT id FROM products",
]

_SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS categories_search_au",
    "DROP TRIGGER IF EXISTS merchants_search_au",
    "DROP TRIGGER IF EXISTS products_search_au",
    "DROP TRIGGER IF EXISTS products_search_ai",
    "DROP TABLE IF EXISTS search_terms",
    "DROP TABLE IF EXISTS search_queue",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_documents",
]

_PG_UP = [
    """
    CREATE TABLE search_documents (
        product_id INTEGER NOT NULL PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
        name_keys TEXT NOT NULL DEFAULT '',
        meta_keys TEXT NOT NULL DEFAULT '',
        desc_keys TEXT NOT NULL DEFAULT '',
        name_tsv tsvector GENERATED ALWAYS AS (CAST(name_keys AS tsvector)) STORED,
        strong_tsv tsvector GENERATED ALWAYS AS (
            CAST(name_keys || ' ' || meta_keys AS tsvector)) STORED,
        tsv tsvector GENERATED ALWAYS AS (
            CAST(name_keys || ' ' || meta_keys || ' ' || desc_keys AS tsvector)) STORED
    )
    """,
    # fastupdate off: no pending list that every search would scan until the next vacuum
    # (catalog writes are rare, searches frequent).
    "CREATE INDEX ix_search_documents_name_tsv ON search_documents USING gin (name_tsv)"
    " WITH (fastupdate = off)",
    "CREATE INDEX ix_search_documents_strong_tsv ON search_documents USING gin (strong_tsv)"
    " WITH (fastupdate = off)",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)"
    " WITH (fastupdate = off)",
    """
    CREATE TABLE search_queue (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        product_id INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE search_terms (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        key TEXT NOT NULL,
        word TEXT NOT NULL,
        field SMALLINT NOT NULL,
        UNIQUE (key, word, field)
    )
    """,
    """
    CREATE FUNCTION search_enqueue_product() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_queue (product_id) VALUES (NEW.id);
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION search_enqueue_merchant() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_queue (product_id)
        SELECT id FROM products WHERE merchant_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION search_enqueue_category() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO search_queue (product_id)
        SELECT id FROM products WHERE category_id = NEW.id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER products_search_ai AFTER INSERT ON products
    FOR EACH ROW EXECUTE FUNCTION search_enqueue_product()
    """,
    f"""
    CREATE TRIGGER products_search_au AFTER UPDATE OF {", ".join(_PRODUCT_TEXT)} ON products
    FOR EACH ROW
    WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _PRODUCT_TEXT)})
    EXECUTE FUNCTION search_enqueue_product()
    """,
    """
    CREATE TRIGGER merchants_search_au AFTER UPDATE OF name, kecamatan ON merchants
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.kecamatan IS DISTINCT FROM NEW.kecamatan)
    EXECUTE FUNCTION search_enqueue_merchant()
    """,
    """
    CREATE TRIGGER categories_search_au AFTER UPDATE OF name_id, name_en ON categories
    FOR EACH ROW
    WHEN (OLD.name_id IS DISTINCT FROM NEW.name_id OR OLD.name_en IS DISTINCT FROM NEW.name_en)
    EXECUTE FUNCTION search_enqueue_category()
    """,
    "INSERT INTO search_queue (product_id) SELECT id FROM products",
]

_PG_DOWN = [
    "DROP TRIGGER IF EXISTS categories_search_au ON categories",
    "DROP TRIGGER IF EXISTS merchants_search_au ON merchants",
    "DROP TRIGGER IF EXISTS products_search_au ON products",
    "DROP TRIGGER IF EXISTS products_search_ai ON products",
    "DROP FUNCTION IF EXISTS search_enqueue_category()",
    "DROP FUNCTION IF EXISTS search_enqueue_merchant()",
    "DROP FUNCTION IF EXISTS search_enqueue_product()",
    "DROP TABLE IF EXISTS search_terms",
    "DROP TABLE IF EXISTS search_queue",
    "DROP TABLE IF EXISTS search_documents",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(_SQLITE_UP if op.get_bind().dialect.name == "sqlite" else _PG_UP)


def downgrade() -> None:
    _run(_SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else _PG_DOWN)
