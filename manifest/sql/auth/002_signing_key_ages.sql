-- Signing keys retire by age alone, one rule for every auth instance (TokenIssuer):
-- retired_at is no longer written or read. Keys are found by age.
CREATE INDEX IF NOT EXISTS signing_keys_created_at ON signing_keys (created_at);
