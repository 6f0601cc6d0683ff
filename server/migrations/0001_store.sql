-- Colloquy's store (SQLite and Postgres alike). Times are milliseconds since the epoch.
CREATE TABLE IF NOT EXISTS colloquy_conversations (
    id TEXT PRIMARY KEY,
    owner TEXT,
    status TEXT NOT NULL DEFAULT 'bot',
    agent TEXT,
    reason TEXT,
    scripted_human BIGINT NOT NULL DEFAULT 0,
    failed_once TEXT NOT NULL DEFAULT '[]',
    queued_at BIGINT,
    timed_out BIGINT NOT NULL DEFAULT 0,
    visitor_typing_at BIGINT NOT NULL DEFAULT 0,
    agent_typing_at BIGINT NOT NULL DEFAULT 0,
    last_seq BIGINT NOT NULL DEFAULT 0,
    bytes BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS colloquy_conversations_queue ON colloquy_conversations (status, queued_at);
CREATE INDEX IF NOT EXISTS colloquy_conversations_updated ON colloquy_conversations (updated_at);
CREATE TABLE IF NOT EXISTS colloquy_events (
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    audience TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
CREATE TABLE IF NOT EXISTS colloquy_replies (
    owner TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (owner, conversation_id, message_id)
);
-- Covering: the eviction sums the bytes without reading the bodies.
CREATE INDEX IF NOT EXISTS colloquy_replies_used ON colloquy_replies (used_at, bytes);
CREATE INDEX IF NOT EXISTS colloquy_replies_conversation ON colloquy_replies (conversation_id)
