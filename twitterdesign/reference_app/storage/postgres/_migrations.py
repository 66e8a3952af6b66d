"""Schema migrations for the PostgreSQL store, applied in order and recorded once each.

Add a new tuple at the end to change the schema; never edit one that has shipped. Each
version runs in the one transaction that records it (PostgreSQL DDL is transactional), so
a crash mid-migration leaves the previous version intact.

Index decisions, with the plan PostgreSQL 15 chose (``EXPLAIN``, key line) on 2,000
accounts, 50,000 statuses, ~50,000 follow edges, 50,000 notifications and 50,000 hashtag
links after ``VACUUM ANALYZE`` — re-checked by
``tests/reference_app/storage_pg/test_explain.py``:

- home timeline (``status_ids_by_authors``, 200 authors): ``Nested Loop`` over
  ``Function Scan on unnest a``, per author ``Limit -> Index Only Scan Backward using
  statuses_by_account``, then a top-N ``Sort``. The work is ``authors x limit`` index
  entries however long each history is. (Before the first VACUUM the visibility map is
  empty and the per-author step is a ``Bitmap Index Scan on statuses_by_account``.)
- public timeline: ``Index Only Scan Backward using statuses_public`` (partial index of
  public ids, read backwards from ``max_id``).
- hashtag timeline: ``Nested Loop`` of ``Index Only Scan Backward using
  status_tags_pkey`` and ``Index Only Scan using statuses_public``.
- followers page: ``Bitmap Index Scan on follows_by_followee`` (~25 edges per account,
  then a top-N sort); following page: ``Index Scan Backward using follows_by_follower``.
- notifications: ``Index Scan Backward using notifications_by_account``.
- profile (``account_status_ids``): ``Bitmap Index Scan on statuses_by_account``.
- full-text search: a generated ``tsvector`` column (config ``simple``: no stemming, no
  stop words, so every language is searched the same way) with a GIN index: ``Bitmap
  Index Scan on statuses_search`` for both orders (a word in most rows gets a Seq Scan,
  which is then the cheaper plan).
- account prefix search: ``BitmapOr`` of ``Bitmap Index Scan on
  accounts_username_lower`` and ``... on accounts_display_name_lower``.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

_V1: tuple[str, ...] = (
    """CREATE TABLE accounts (
        id BIGINT PRIMARY KEY,
        username TEXT NOT NULL,
        display_name TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '',
        created_at BIGINT NOT NULL,
        followers_count INTEGER NOT NULL DEFAULT 0,
        following_count INTEGER NOT NULL DEFAULT 0,
        statuses_count INTEGER NOT NULL DEFAULT 0,
        last_status_at BIGINT)""",
    # One index answers both the case-insensitive uniqueness rule and the prefix search
    # (text_pattern_ops lets LIKE 'abc%' use it whatever the database collation).
    "CREATE UNIQUE INDEX accounts_username_lower ON accounts (lower(username) text_pattern_ops)",
    "CREATE INDEX accounts_display_name_lower ON accounts (lower(display_name) text_pattern_ops)",
    """CREATE TABLE users (
        account_id BIGINT PRIMARY KEY REFERENCES accounts(id),
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL)""",
    "CREATE UNIQUE INDEX users_email_lower ON users (lower(email))",
    """CREATE TABLE statuses (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL REFERENCES accounts(id),
        text TEXT NOT NULL,
        visibility TEXT NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
        in_reply_to_id BIGINT,
        in_reply_to_account_id BIGINT,
        reblog_of_id BIGINT,
        created_at BIGINT NOT NULL,
        replies_count INTEGER NOT NULL DEFAULT 0,
        reblogs_count INTEGER NOT NULL DEFAULT 0,
        favourites_count INTEGER NOT NULL DEFAULT 0,
        views_count BIGINT NOT NULL DEFAULT 0,
        search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED)""",
    # Home timeline: per author, Index Only Scan Backward using statuses_by_account;
    # profile pages: Bitmap Index Scan on statuses_by_account.
    "CREATE INDEX statuses_by_account ON statuses (account_id, id)",
    "CREATE INDEX statuses_by_reply ON statuses (in_reply_to_id) WHERE in_reply_to_id IS NOT NULL",
    "CREATE INDEX statuses_by_reblog ON statuses (reblog_of_id, id) WHERE reblog_of_id IS NOT NULL",
    # Public timeline: Index Only Scan Backward using statuses_public.
    "CREATE INDEX statuses_public ON statuses (id) WHERE visibility = 'public'",
    "CREATE INDEX statuses_by_time ON statuses (created_at)",
    """CREATE UNIQUE INDEX statuses_one_reblog ON statuses (account_id, reblog_of_id)
        WHERE reblog_of_id IS NOT NULL""",
    # Search (both orders): Bitmap Index Scan on statuses_search.
    "CREATE INDEX statuses_search ON statuses USING GIN (search)",
    # Hashtag timeline: Index Only Scan Backward using status_tags_pkey; the C collation
    # lets the prefix LIKE of search_tags use the same index and sorts like SQLite.
    """CREATE TABLE status_tags (
        status_id BIGINT NOT NULL,
        tag TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (tag, status_id))""",
    "CREATE INDEX status_tags_by_status ON status_tags (status_id)",
    """CREATE TABLE mentions (
        status_id BIGINT NOT NULL,
        account_id BIGINT NOT NULL,
        PRIMARY KEY (status_id, account_id))""",
    """CREATE TABLE follows (
        follower_id BIGINT NOT NULL,
        followee_id BIGINT NOT NULL,
        id BIGINT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (follower_id, followee_id))""",
    # Followers page: Bitmap Index Scan on follows_by_followee; following page: Index Scan
    # Backward using follows_by_follower.
    "CREATE INDEX follows_by_followee ON follows (followee_id, id)",
    "CREATE INDEX follows_by_follower ON follows (follower_id, id)",
    """CREATE TABLE favourites (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        status_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (account_id, status_id))""",
    "CREATE INDEX favourites_by_status ON favourites (status_id, id)",
    """CREATE TABLE notifications (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        type TEXT NOT NULL,
        from_account_id BIGINT NOT NULL,
        status_id BIGINT,
        created_at BIGINT NOT NULL)""",
    # Notifications page: Index Scan Backward using notifications_by_account.
    "CREATE INDEX notifications_by_account ON notifications (account_id, id)",
    "CREATE INDEX notifications_by_status ON notifications (status_id) WHERE status_id IS NOT NULL",
    """CREATE TABLE media (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size_bytes BIGINT NOT NULL,
        width INTEGER,
        height INTEGER,
        description TEXT,
        status_id BIGINT,
        created_at BIGINT NOT NULL)""",
    "CREATE INDEX media_by_status ON media (status_id) WHERE status_id IS NOT NULL",
    "CREATE INDEX media_by_hash ON media (sha256)",
    """CREATE TABLE apps (
        id BIGINT PRIMARY KEY,
        name TEXT NOT NULL,
        website TEXT,
        redirect_uri TEXT NOT NULL,
        client_id TEXT NOT NULL UNIQUE,
        client_secret TEXT NOT NULL,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL)""",
    """CREATE TABLE tokens (
        token_hash TEXT PRIMARY KEY,
        app_id BIGINT,
        account_id BIGINT,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked BOOLEAN NOT NULL DEFAULT FALSE)""",
    """CREATE TABLE auth_codes (
        code_hash TEXT PRIMARY KEY,
        app_id BIGINT NOT NULL,
        account_id BIGINT NOT NULL,
        redirect_uri TEXT NOT NULL,
        scopes TEXT NOT NULL,
        expires_at BIGINT NOT NULL)""",
    """CREATE TABLE idempotency (
        account_id BIGINT NOT NULL,
        key TEXT NOT NULL,
        status_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        fingerprint TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (account_id, key))""",
    """CREATE TABLE sketches (
        name TEXT COLLATE "C" PRIMARY KEY,
        data BYTEA NOT NULL,
        updated_at BIGINT NOT NULL)""",
    # The fan-out log. ``seq`` is allocated by the writer (its order is NOT commit order);
    # ``pos`` is given by the publisher in commit-visible order and is the readers' cursor
    # (see ``_outbox.py``).
    """CREATE TABLE fanout_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        pos BIGINT UNIQUE,
        status_id BIGINT,
        account_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL)""",
    "CREATE SEQUENCE fanout_pos",
    "CREATE INDEX fanout_log_unpublished ON fanout_log (seq) WHERE pos IS NULL",
    "CREATE INDEX fanout_log_by_time ON fanout_log (created_at)",
)

# Deferred counters (``_counters.py``): the counter outbox, written in the transaction of
# each favourite, reblog and reply instead of an UPDATE of the status row, and the flush
# ids already folded into the columns (so a retried flush is applied once).
_V2: tuple[str, ...] = (
    """CREATE TABLE counter_outbox (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key TEXT NOT NULL,
        status_id BIGINT NOT NULL,
        field TEXT NOT NULL CHECK (field IN ('favourites', 'reblogs', 'replies')),
        delta INTEGER NOT NULL,
        created_at BIGINT NOT NULL)""",
    # A writer applies its own events at once, found by key prefix (LIKE 'fav:7:100:%').
    "CREATE INDEX counter_outbox_by_key ON counter_outbox (key text_pattern_ops)",
    """CREATE TABLE counter_flushes (
        flush_id TEXT PRIMARY KEY,
        applied_at BIGINT NOT NULL)""",
    "CREATE INDEX counter_flushes_by_time ON counter_flushes (applied_at)",
)

# Direct statuses: visible to the author and the mentioned accounts only.
_V3: tuple[str, ...] = (
    "ALTER TABLE statuses DROP CONSTRAINT statuses_visibility_check",
    """ALTER TABLE statuses ADD CONSTRAINT statuses_visibility_check
        CHECK (visibility IN ('public', 'unlisted', 'private', 'direct'))""",
)

# What an account curates for itself (``storage/_curation.py``): bookmarks, read markers,
# lists with their members, followed hashtags; and favourites paged per account.
_V4: tuple[str, ...] = (
    """CREATE TABLE bookmarks (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        status_id BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        UNIQUE (account_id, status_id))""",
    # Bookmarks and favourites pages: Index Scan Backward using *_by_account.
    "CREATE INDEX bookmarks_by_account ON bookmarks (account_id, id)",
    "CREATE INDEX bookmarks_by_status ON bookmarks (status_id)",
    "CREATE INDEX favourites_by_account ON favourites (account_id, id)",
    """CREATE TABLE markers (
        account_id BIGINT NOT NULL,
        timeline TEXT NOT NULL,
        last_read_id BIGINT NOT NULL,
        version INTEGER NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, timeline))""",
    """CREATE TABLE lists (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        title TEXT NOT NULL,
        replies_policy TEXT NOT NULL CHECK (replies_policy IN ('followed', 'list', 'none')),
        exclusive BOOLEAN NOT NULL DEFAULT FALSE,
        created_at BIGINT NOT NULL)""",
    "CREATE INDEX lists_by_account ON lists (account_id, id)",
    """CREATE TABLE list_accounts (
        list_id BIGINT NOT NULL,
        account_id BIGINT NOT NULL,
        id BIGINT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (list_id, account_id))""",
    "CREATE INDEX list_accounts_by_account ON list_accounts (account_id, list_id)",
    """CREATE TABLE tag_follows (
        account_id BIGINT NOT NULL,
        tag TEXT NOT NULL,
        id BIGINT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, tag))""",
    "CREATE INDEX tag_follows_by_account ON tag_follows (account_id, id)",
)

# Issue 15: status edits, profiles, blocks, mutes and filters. Edits: the columns a Mastodon client
# edits (spoiler text, sensitivity, language), ``edited_at``, and the append-only history
# of versions (read per status: Index Scan using status_edits_by_status). The generated
# ``search`` column follows an edited text by itself.
_V5: tuple[str, ...] = (
    "ALTER TABLE statuses ADD COLUMN spoiler_text TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE statuses ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE statuses ADD COLUMN language TEXT",
    "ALTER TABLE statuses ADD COLUMN edited_at BIGINT",
    """CREATE TABLE status_edits (
        id BIGINT PRIMARY KEY,
        status_id BIGINT NOT NULL,
        account_id BIGINT NOT NULL,
        text TEXT NOT NULL,
        spoiler_text TEXT NOT NULL,
        sensitive BOOLEAN NOT NULL,
        language TEXT,
        media_ids BIGINT[] NOT NULL DEFAULT '{}',
        created_at BIGINT NOT NULL)""",
    "CREATE INDEX status_edits_by_status ON status_edits (status_id, id)",
    # The profile a client edits with update_credentials (``fields``: a JSON list of
    # [name, value] pairs) and the posting defaults of ``source``.
    "ALTER TABLE accounts ADD COLUMN bot BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE accounts ADD COLUMN discoverable BOOLEAN NOT NULL DEFAULT TRUE",
    "ALTER TABLE accounts ADD COLUMN fields TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE accounts ADD COLUMN privacy TEXT NOT NULL DEFAULT 'public'",
    "ALTER TABLE accounts ADD COLUMN sensitive BOOLEAN NOT NULL DEFAULT FALSE",
    "ALTER TABLE accounts ADD COLUMN language TEXT",
    # Blocks and mutes: one edge per (account, target), with its own id for paging (the
    # blocks and mutes pages: Index Scan Backward using blocks_by_account / mutes_by_account).
    """CREATE TABLE blocks (
        account_id BIGINT NOT NULL,
        target_id BIGINT NOT NULL,
        id BIGINT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, target_id))""",
    "CREATE INDEX blocks_by_target ON blocks (target_id, account_id)",
    "CREATE INDEX blocks_by_account ON blocks (account_id, id)",
    """CREATE TABLE mutes (
        account_id BIGINT NOT NULL,
        target_id BIGINT NOT NULL,
        id BIGINT NOT NULL UNIQUE,
        notifications BOOLEAN NOT NULL,
        expires_at BIGINT,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, target_id))""",
    "CREATE INDEX mutes_by_account ON mutes (account_id, id)",
    # Content filters (v2) and their keywords, read whole per account (a handful each).
    """CREATE TABLE filters (
        id BIGINT PRIMARY KEY,
        account_id BIGINT NOT NULL,
        title TEXT NOT NULL,
        context TEXT[] NOT NULL,
        action TEXT NOT NULL,
        expires_at BIGINT,
        created_at BIGINT NOT NULL)""",
    "CREATE INDEX filters_by_account ON filters (account_id, id)",
    """CREATE TABLE filter_keywords (
        id BIGINT PRIMARY KEY,
        filter_id BIGINT NOT NULL,
        keyword TEXT NOT NULL,
        whole_word BOOLEAN NOT NULL)""",
    "CREATE INDEX filter_keywords_by_filter ON filter_keywords (filter_id, id)",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, _V5)
"""Every schema version's statements, oldest first."""
