-- Credentials and token signing keys, owned by douyin-auth.

-- A user id is born here. A row stays 'pending' until the user service has the
-- profile; only 'active' rows can log in, and a pending row older than a request
-- deadline is an abandoned registration that a new one may replace.
CREATE TABLE credentials (
    user_id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- "C" collation: usernames compare byte for byte (API.md 1.2).
    username      TEXT COLLATE "C" NOT NULL,
    password_hash TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'active')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX credentials_username ON credentials (username);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    private_key BYTEA NOT NULL,
    public_key  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at  TIMESTAMPTZ
);
