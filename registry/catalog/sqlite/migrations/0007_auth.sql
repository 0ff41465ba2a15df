-- Robot tokens (mpakd token create). Only the SHA-256 of a secret is kept.
-- actions is a JSON list. Revoked rows stay, as the audit trail of who could
-- push what and when; a name is unique among the unrevoked ones only, so a
-- revoked or retired name can be issued again.
CREATE TABLE robot_tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL,
	token_hash   BLOB    NOT NULL UNIQUE,
	scope        TEXT    NOT NULL,
	actions      TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER, -- NULL: never
	last_used_at INTEGER, -- NULL: never used
	revoked_at   INTEGER  -- NULL: not revoked
);

CREATE UNIQUE INDEX robot_tokens_active_name ON robot_tokens (name) WHERE revoked_at IS NULL;

-- Keys the replicas share, PEM: the token signing key, so a token one
-- replica signs verifies on the others.
CREATE TABLE auth_keys (
	name TEXT PRIMARY KEY,
	pem  TEXT NOT NULL
);
