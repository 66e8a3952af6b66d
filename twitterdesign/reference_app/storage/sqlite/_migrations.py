"""Schema migrations for the SQLite store, applied in order and recorded once each.

Add a new tuple at the end to change the schema; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

__all__ = ["MIGRATIONS", "Migration"]

Migration = str | Callable[[sqlite3.Connection], None]
"""One step of a migration: a SQL statement, or a function run on the connection."""

_V1: tuple[str, ...] = (
    """CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        display_name TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL,
        followers_count INTEGER NOT NULL DEFAULT 0,
        following_count INTEGER NOT NULL DEFAULT 0,
        statuses_count INTEGER NOT NULL DEFAULT 0,
        last_status_at INTEGER)""",
    """CREATE TABLE users (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL)""",
    """CREATE TABLE statuses (
        id INTEGER PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id),
        text TEXT NOT NULL,
        visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
        in_reply_to_id INTEGER,
        in_reply_to_account_id INTEGER,
        reblog_of_id INTEGER,
        created_at INTEGER NOT NULL,
        replies_count INTEGER NOT NULL DEFAULT 0,
        reblogs_count INTEGER NOT NULL DEFAULT 0,
        favourites_count INTEGER NOT NULL DEFAULT 0,
        views_count INTEGER NOT NULL DEFAULT 0)""",
    "CREATE INDEX statuses_by_account ON statuses(account_id, id)",
    "CREATE INDEX statuses_by_reply ON statuses(in_reply_to_id)",
    "CREATE INDEX statuses_by_reblog ON statuses(reblog_of_id)",
    "CREATE INDEX statuses_by_visibility ON statuses(visibility, id)",
    "CREATE INDEX statuses_by_time ON statuses(created_at)",
    """CREATE UNIQUE INDEX statuses_one_reblog ON statuses(account_id, reblog_of_id)
        WHERE reblog_of_id IS NOT NULL""",
    """CREATE TABLE status_tags (
        status_id INTEGER NOT NULL, tag TEXT NOT NULL,
        PRIMARY KEY (tag, status_id)) WITHOUT ROWID""",
    "CREATE INDEX status_tags_by_status ON status_tags(status_id)",
    """CREATE TABLE mentions (
        status_id INTEGER NOT NULL, account_id INTEGER NOT NULL,
        PRIMARY KEY (status_id, account_id)) WITHOUT ROWID""",
    """CREATE TABLE follows (
        follower_id INTEGER NOT NULL, followee_id INTEGER NOT NULL,
        id INTEGER NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        PRIMARY KEY (follower_id, followee_id)) WITHOUT ROWID""",
    "CREATE INDEX follows_by_followee ON follows(followee_id, id)",
    "CREATE INDEX follows_by_follower ON follows(follower_id, id)",
    """CREATE TABLE favourites (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, status_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL, UNIQUE (account_id, status_id))""",
    "CREATE INDEX favourites_by_status ON favourites(status_id, id)",
    """CREATE TABLE notifications (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, type TEXT NOT NULL,
        from_account_id INTEGER NOT NULL, status_id INTEGER, created_at INTEGER NOT NULL)""",
    "CREATE INDEX notifications_by_account ON notifications(account_id, id)",
    "CREATE INDEX notifications_by_status ON notifications(status_id)",
    """CREATE TABLE media (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, sha256 TEXT NOT NULL,
        content_type TEXT NOT NULL, size_bytes INTEGER NOT NULL, width INTEGER,
        height INTEGER, description TEXT, status_id INTEGER, created_at INTEGER NOT NULL)""",
    "CREATE INDEX media_by_status ON media(status_id)",
    "CREATE INDEX media_by_hash ON media(sha256)",
    """CREATE TABLE apps (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL, website TEXT,
        redirect_uri TEXT NOT NULL, client_id TEXT NOT NULL UNIQUE,
        client_secret TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL)""",
    """CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY, app_id INTEGER, account_id INTEGER,
        scopes TEXT NOT NULL, created_at INTEGER NOT NULL,
        revoked INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE auth_codes (
        code_hash TEXT PRIMARY KEY, app_id INTEGER NOT NULL, account_id INTEGER NOT NULL,
        redirect_uri TEXT NOT NULL, scopes TEXT NOT NULL, expires_at INTEGER NOT NULL)""",
    """CREATE TABLE idempotency (
        account_id INTEGER NOT NULL, key TEXT NOT NULL, status_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL, PRIMARY KEY (account_id, key))""",
    """CREATE TABLE blobs (
        name TEXT PRIMARY KEY, data BLOB NOT NULL, updated_at INTEGER NOT NULL)""",
    """CREATE VIRTUAL TABLE statuses_fts USING fts5(
        text, content='statuses', content_rowid='id', tokenize='unicode61')""",
    """CREATE TRIGGER statuses_fts_insert AFTER INSERT ON statuses BEGIN
        INSERT INTO statuses_fts(rowid, text) VALUES (new.id, new.text); END""",
    """CREATE TRIGGER statuses_fts_delete AFTER DELETE ON statuses BEGIN
        INSERT INTO statuses_fts(statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END""",
)

# v2: the fan-out event log — the pub-sub topic every server process tails, so a status
# posted through one process reaches the timeline caches of all of them.
_V2: tuple[str, ...] = (
    """CREATE TABLE fanout_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        status_id INTEGER,
        account_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL)""",
    "CREATE INDEX fanout_log_by_time ON fanout_log(created_at)",
)

# v3: a fingerprint of the request stored with each Idempotency-Key, so a key reused with
# a different request is refused instead of answered with the first status. Rows from
# before have '' (unknown): they replay as before.
_V3: tuple[str, ...] = ("ALTER TABLE idempotency ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''",)


def _allow_direct(conn: sqlite3.Connection) -> None:
    """Let ``statuses.visibility`` be ``direct`` too.

    SQLite cannot alter a CHECK constraint, and rebuilding ``statuses`` would cascade
    deletes through every table that references it; widening the constraint changes no
    stored row, so the table's definition is edited in place, the procedure SQLite's
    documentation gives for such changes (``writable_schema``, then a new
    ``schema_version`` so every connection reloads the schema).
    """
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'statuses'")
    (sql,) = row.fetchone()
    old = "CHECK (visibility IN ('public', 'unlisted', 'private'))"
    if old not in sql:
        raise RuntimeError("statuses.visibility has an unexpected CHECK constraint")
    new = sql.replace(old, "CHECK (visibility IN ('public', 'unlisted', 'private', 'direct'))")
    (version,) = conn.execute("PRAGMA schema_version").fetchone()
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'statuses'", (new,)
    )
    conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
    conn.execute("PRAGMA writable_schema = OFF")


# v4: direct statuses (visible to the author and the mentioned accounts only).
_V4: tuple[Migration, ...] = (_allow_direct,)

# v5: what an account curates for itself (``storage/_curation.py``): bookmarks, read
# markers, lists with their members, followed hashtags; and favourites paged per account.
_V5: tuple[str, ...] = (
    """CREATE TABLE bookmarks (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, status_id INTEGER NOT NULL,
        created_at INTEGER NOT NULL, UNIQUE (account_id, status_id))""",
    "CREATE INDEX bookmarks_by_account ON bookmarks(account_id, id)",
    "CREATE INDEX bookmarks_by_status ON bookmarks(status_id)",
    "CREATE INDEX favourites_by_account ON favourites(account_id, id)",
    """CREATE TABLE markers (
        account_id INTEGER NOT NULL, timeline TEXT NOT NULL,
        last_read_id INTEGER NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, timeline)) WITHOUT ROWID""",
    """CREATE TABLE lists (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, title TEXT NOT NULL,
        replies_policy TEXT NOT NULL CHECK (replies_policy IN ('followed', 'list', 'none')),
        exclusive INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL)""",
    "CREATE INDEX lists_by_account ON lists(account_id, id)",
    """CREATE TABLE list_accounts (
        list_id INTEGER NOT NULL, account_id INTEGER NOT NULL, id INTEGER NOT NULL UNIQUE,
        created_at INTEGER NOT NULL, PRIMARY KEY (list_id, account_id)) WITHOUT ROWID""",
    "CREATE INDEX list_accounts_by_account ON list_accounts(account_id, list_id)",
    """CREATE TABLE tag_follows (
        account_id INTEGER NOT NULL, tag TEXT NOT NULL, id INTEGER NOT NULL UNIQUE,
        created_at INTEGER NOT NULL, PRIMARY KEY (account_id, tag)) WITHOUT ROWID""",
    "CREATE INDEX tag_follows_by_account ON tag_follows(account_id, id)",
)

# v6 (issue 15): status edits, profiles, blocks, mutes and filters. Edits: the columns a Mastodon
# client edits (spoiler text, sensitivity, language), ``edited_at``, the append-only
# history of versions, and the full-text index following an edited text.
_V6: tuple[Migration, ...] = (
    "ALTER TABLE statuses ADD COLUMN spoiler_text TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE statuses ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE statuses ADD COLUMN language TEXT",
    "ALTER TABLE statuses ADD COLUMN edited_at INTEGER",
    """CREATE TABLE status_edits (
        id INTEGER PRIMARY KEY,
        status_id INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        text TEXT NOT NULL,
        spoiler_text TEXT NOT NULL,
        sensitive INTEGER NOT NULL,
        language TEXT,
        media_ids TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL)""",
    "CREATE INDEX status_edits_by_status ON status_edits(status_id, id)",
    """CREATE TRIGGER statuses_fts_update AFTER UPDATE OF text ON statuses BEGIN
        INSERT INTO statuses_fts(statuses_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO statuses_fts(rowid, text) VALUES (new.id, new.text);
        END""",
    # The profile a client edits with update_credentials (``fields``: a JSON list of
    # [name, value] pairs) and the posting defaults of ``source``.
    "ALTER TABLE accounts ADD COLUMN bot INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE accounts ADD COLUMN discoverable INTEGER NOT NULL DEFAULT 1",
    "ALTER TABLE accounts ADD COLUMN fields TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE accounts ADD COLUMN privacy TEXT NOT NULL DEFAULT 'public'",
    "ALTER TABLE accounts ADD COLUMN sensitive INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE accounts ADD COLUMN language TEXT",
    # Blocks and mutes: one edge per (account, target), with its own id for paging.
    """CREATE TABLE blocks (
        account_id INTEGER NOT NULL, target_id INTEGER NOT NULL,
        id INTEGER NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, target_id)) WITHOUT ROWID""",
    "CREATE INDEX blocks_by_target ON blocks(target_id, account_id)",
    "CREATE INDEX blocks_by_account ON blocks(account_id, id)",
    """CREATE TABLE mutes (
        account_id INTEGER NOT NULL, target_id INTEGER NOT NULL,
        id INTEGER NOT NULL UNIQUE, notifications INTEGER NOT NULL,
        expires_at INTEGER, created_at INTEGER NOT NULL,
        PRIMARY KEY (account_id, target_id)) WITHOUT ROWID""",
    "CREATE INDEX mutes_by_account ON mutes(account_id, id)",
    # Content filters (v2) and their keywords; ``context`` is space-separated.
    """CREATE TABLE filters (
        id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, title TEXT NOT NULL,
        context TEXT NOT NULL, action TEXT NOT NULL, expires_at INTEGER,
        created_at INTEGER NOT NULL)""",
    "CREATE INDEX filters_by_account ON filters(account_id, id)",
    """CREATE TABLE filter_keywords (
        id INTEGER PRIMARY KEY, filter_id INTEGER NOT NULL, keyword TEXT NOT NULL,
        whole_word INTEGER NOT NULL)""",
    "CREATE INDEX filter_keywords_by_filter ON filter_keywords(filter_id, id)",
)

MIGRATIONS: tuple[tuple[Migration, ...], ...] = (_V1, _V2, _V3, _V4, _V5, _V6)
"""Every schema version's steps, oldest first: SQL, or a function run on the connection."""
