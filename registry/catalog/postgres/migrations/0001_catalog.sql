-- The catalog. Text that is sorted or paged on (repositories, versions,
-- sort keys) is COLLATE "C": bytewise, like SQLite, whatever the database's
-- locale, so both stores order alike and index.SortKey compares correctly.

-- Every indexed version. sort_key orders versions by semver precedence
-- (index.SortKey).
CREATE TABLE versions (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	repository       text COLLATE "C" NOT NULL,
	version          text COLLATE "C" NOT NULL,
	sort_key         text COLLATE "C" NOT NULL,
	prerelease       boolean NOT NULL,
	tag              text    NOT NULL,
	digest           text    NOT NULL,
	name             text    NOT NULL,
	display_name     text    NOT NULL,
	description      text    NOT NULL,
	long_description text    NOT NULL,
	keywords         jsonb,
	author           text    NOT NULL,
	license          text    NOT NULL,
	homepage         text    NOT NULL,
	source_url       text    NOT NULL,
	server_type      text    NOT NULL,
	manifest_version text    NOT NULL,
	tools            jsonb,
	prompts          jsonb,
	user_config_keys jsonb,
	annotations      jsonb,
	manifest         bytea,
	signed           boolean NOT NULL,
	level            integer NOT NULL,
	published_at     timestamptz, -- NULL when the bundle does not say
	indexed_at       timestamptz NOT NULL,
	UNIQUE (repository, version)
);

-- Versions, Bundle's latest and List's cursor all walk this order.
CREATE INDEX versions_semver ON versions (repository, sort_key, version);
CREATE INDEX versions_indexed_at ON versions (indexed_at);

-- A version's platform builds, in the order the index lists them.
CREATE TABLE builds (
	version_id      bigint  NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	position        integer NOT NULL,
	platform        text    NOT NULL,
	manifest_digest text    NOT NULL,
	layer_digest    text    NOT NULL,
	size            bigint  NOT NULL,
	PRIMARY KEY (version_id, position)
);

-- Blob GETs are attributed to downloads by layer digest.
CREATE INDEX builds_layer ON builds (layer_digest);

-- One row per repository that has versions or downloads: what a search
-- matches, filters and sorts on, so it reads no versions but the page it
-- returns. Writers of a repository's versions lock the row, so they apply
-- one after the other. latest_id is the version searches show (NULL once
-- every version is deleted: the row stays for its downloads), and
-- server_type, level, signed and platforms are copied from it; versions and
-- updated_at summarize the versions; downloads is the repository's running
-- total. platforms lists the latest's builds between spaces
-- (internal/platform), so the platform filter is a substring test on the
-- row instead of a builds lookup per bundle. document is the latest
-- version's text (internal/fulltext), weighted A (name), B (display name,
-- tool names), C (description, keywords), D (details).
CREATE TABLE bundles (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	repository  text COLLATE "C" NOT NULL UNIQUE,
	latest_id   bigint REFERENCES versions (id) ON DELETE SET NULL,
	server_type text,
	level       integer,
	signed      boolean,
	platforms   text,
	versions    integer NOT NULL DEFAULT 0,
	updated_at  timestamptz,
	downloads   bigint  NOT NULL DEFAULT 0,
	document    tsvector
);

CREATE INDEX bundles_document ON bundles USING gin (document);
-- The unfiltered sorts walk an index and stop at the page.
CREATE INDEX bundles_downloads ON bundles (downloads DESC, repository);
CREATE INDEX bundles_updated_at ON bundles (updated_at DESC NULLS LAST, repository);

-- Download counts per version, platform and UTC day. Not tied to versions:
-- deleting a version keeps what it was downloaded.
CREATE TABLE downloads (
	repository text COLLATE "C" NOT NULL,
	version    text COLLATE "C" NOT NULL,
	platform   text COLLATE "C" NOT NULL,
	day        date   NOT NULL,
	count      bigint NOT NULL,
	PRIMARY KEY (repository, version, platform, day)
);
