-- API tokens of the token auth plugin (store: postgres). Only a SHA-256 of each token
-- is kept; the token itself is shown once by `stoa token create` and never stored.
-- The plugin re-reads this table every `refresh` (5s), so changes need no restart.
CREATE TABLE auth_tokens (
    name        text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    hash        bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    scopes      text NOT NULL CHECK (scopes <> ''),  -- space-separated OP[:PATTERNS]
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,                          -- NULL: never
    revoked_at  timestamptz                           -- NULL: active
);

COMMENT ON TABLE auth_tokens IS 'stoa API tokens: SHA-256 hashes only, never the tokens';
