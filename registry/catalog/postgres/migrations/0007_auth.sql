-- Robot tokens (mpakd token create). Only the SHA-256 of a secret is kept.
-- Revoked rows stay, as the audit trail of who could push what and when; a
-- name is unique among the unrevoked ones only, so a revoked or retired
-- name can be issued again.
CREATE TABLE robot_tokens (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         text COLLATE "C" NOT NULL,
	token_hash   bytea       NOT NULL UNIQUE,
	scope        text        NOT NULL,
	actions      jsonb       NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz, -- NULL: never
	last_used_at timestamptz, -- NULL: never used
	revoked_at   timestamptz  -- NULL: not revoked
);

CREATE UNIQUE INDEX robot_tokens_active_name ON robot_tokens (name) WHERE revoked_at IS NULL;

-- Keys the replicas share, PEM: the token signing key, so a token one
-- replica signs verifies on the others.
CREATE TABLE auth_keys (
	name text PRIMARY KEY,
	pem  text NOT NULL
);
