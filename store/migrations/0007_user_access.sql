-- Access management (users.go): a user can be disabled, which ends their
-- sessions at once (the session check reads disabled_at on every request),
-- and the list shows when each last signed in. An invited user has an empty
-- password_hash until they open their invite link.
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;

-- One-time links that set a user's password: an invite or a password
-- reset. Only the SHA-256 of the token is kept, so a copy of the database
-- can't use a link; the row is deleted when the link is used.
CREATE TABLE user_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX user_tokens_by_user ON user_tokens (user_id);
