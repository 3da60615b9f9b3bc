"""Full-text search of messages: an index each database keeps by itself, and the query.

- SQLite: an FTS5 table `messages_fts` over the bodies of text messages (the `unicode61`
  tokenizer: words, Unicode case folded, accents kept apart only where they change the
  letter), kept by triggers on `messages` and keyed by its rowid (which chinwag never
  renumbers: it runs no VACUUM; after one, `INSERT INTO messages_fts(messages_fts)
  VALUES('rebuild')` builds the index again).
- PostgreSQL: a stored `tsvector` column `messages.search` (the `simple` configuration:
  words lowercased by the database's Unicode rules, no stemming, so that any language
  is found as written) with a GIN index.

Neither is in `tables.metadata` (they are not portable); `in_metadata` tells Alembic's
comparisons to leave them out. A query is split into words; a message matches when it
holds every word, in any order, each as a word or the start of one ("hel" finds
"hello").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, literal_column, or_, select, text, true
from sqlalchemy.engine import Connection

from chinwag.core.validation import canonical
from chinwag.protocol.types import Message
from chinwag.store.records import SearchFilters
from chinwag.store.sql.rows import served
from chinwag.store.sql.tables import members, messages

# -- the index --------------------------------------------------------------------------

_SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE messages_fts USING fts5("
    "body, content='messages', content_rowid='rowid', tokenize='unicode61')",
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.kind = 'text' "
    "BEGIN INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.kind = 'text' "
    "BEGIN INSERT INTO messages_fts(messages_fts, rowid, body) "
    "VALUES ('delete', old.rowid, old.body); END",
    "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages "
    "WHEN old.kind = 'text' BEGIN "
    "INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.rowid, old.body); "
    "INSERT INTO messages_fts(rowid, body) VALUES (new.rowid, new.body); END",
    "INSERT INTO messages_fts(rowid, body) SELECT rowid, body FROM messages WHERE kind = 'text'",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS messages_fts_update",
    "DROP TRIGGER IF EXISTS messages_fts_delete",
    "DROP TRIGGER IF EXISTS messages_fts_insert",
    "DROP TABLE IF EXISTS messages_fts",
]
_PG_CREATE = [
    "ALTER TABLE messages ADD COLUMN search tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
    "CREATE INDEX ix_messages_search ON messages USING gin (search)",
]
_PG_DROP = [
    "DROP INDEX IF EXISTS ix_messages_search",
    "ALTER TABLE messages DROP COLUMN IF EXISTS search",
]


def create_index(conn: Connection) -> None:
    """Build the search index of the database (a migration step)."""
    for statement in _PG_CREATE if conn.dialect.name == "postgresql" else _SQLITE_CREATE:
        conn.execute(text(statement))


def drop_index(conn: Connection) -> None:
    for statement in _PG_DROP if conn.dialect.name == "postgresql" else _SQLITE_DROP:
        conn.execute(text(statement))


def in_metadata(name: str | None, type_: Any, parent_names: Any) -> bool:
    """Alembic's `include_name`: False for the search index's own objects."""
    if type_ == "table" and name is not None and name.startswith("messages_fts"):
        return False
    if type_ == "column" and name == "search" and parent_names.get("table_name") == "messages":
        return False
    return not (type_ == "index" and name == "ix_messages_search")


# -- the query ----------------------------------------------------------------------------


def _fts_query(terms: list[str]) -> str:
    return " ".join('"' + t.replace('"', '""') + '"*' for t in terms)


def _ts_query(terms: list[str]) -> str:
    """Each word a quoted lexeme (which the `simple` dictionary lowercases as it does the
    bodies), as a prefix; all of them."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "':*" for t in terms)
    return " & ".join(quoted)


def search(
    conn: Connection, user_key: str, terms: list[str], filters: SearchFilters, limit: int
) -> list[Message]:
    """Text messages of the user's rooms holding every word of `terms`, newest first,
    after `filters.after`; at most `limit`."""
    if not (terms or filters.has_file) or limit <= 0:
        return []
    stmt = select(messages).join(
        members, (members.c.room_id == messages.c.room_id) & (members.c.user_key == user_key)
    )
    # With no words (`has_file` alone), every message matches.
    match: ColumnElement[bool] = true()
    if terms and conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL statement_timeout = '10s'"))
        match = literal_column("messages.search").op("@@")(
            text("to_tsquery('simple', :q)").bindparams(q=_ts_query(terms))
        )
    elif terms:
        hits = text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q").bindparams(
            q=_fts_query(terms)
        )
        match = literal_column("messages.rowid").in_(hits)
    if filters.has_file:
        # As the partial index `ix_messages_files` names it.
        stmt = stmt.where(text("attachments IS NOT NULL"))
    stmt = stmt.where(messages.c.kind == "text", messages.c.deleted.is_(False), match)
    if filters.room_id is not None:
        stmt = stmt.where(messages.c.room_id == filters.room_id)
    if filters.sender is not None:
        stmt = stmt.where(messages.c.sender_key == canonical(filters.sender))
    if filters.since is not None:
        stmt = stmt.where(messages.c.ts >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(messages.c.ts < filters.until)
    if filters.after is not None:
        ts, room_id, seq = filters.after
        stmt = stmt.where(
            or_(
                messages.c.ts < ts,
                and_(messages.c.ts == ts, messages.c.room_id > room_id),
                and_(messages.c.ts == ts, messages.c.room_id == room_id, messages.c.seq < seq),
            )
        )
    stmt = stmt.order_by(messages.c.ts.desc(), messages.c.room_id, messages.c.seq.desc()).limit(
        limit
    )
    return served(conn, conn.execute(stmt).all())
