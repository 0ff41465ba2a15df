-- The catalog. Times are Unix microseconds (PostgreSQL's precision, so both
-- stores return the same values); lists and maps are JSON, read back whole
-- and never queried into.

-- Every indexed version. sort_key orders versions by semver precedence
-- (index.SortKey), compared bytewise.
CREATE TABLE versions (
	id               INTEGER PRIMARY KEY,
	repository       TEXT    NOT NULL,
	version          TEXT    NOT NULL,
	sort_key         TEXT    NOT NULL,
	prerelease       INTEGER NOT NULL,
	tag              TEXT    NOT NULL,
	digest           TEXT    NOT NULL,
	name             TEXT    NOT NULL,
	display_name     TEXT    NOT NULL,
	description      TEXT    NOT NULL,
	long_description TEXT    NOT NULL,
	keywords         TEXT,
	author           TEXT    NOT NULL,
	license          TEXT    NOT NULL,
	homepage         TEXT    NOT NULL,
	source_url       TEXT    NOT NULL,
	server_type      TEXT    NOT NULL,
	manifest_version TEXT    NOT NULL,
	tools            TEXT,
	prompts          TEXT,
	user_config_keys TEXT,
	annotations      TEXT,
	manifest         BLOB,
	signed           INTEGER NOT NULL,
	level            INTEGER NOT NULL,
	published_at     INTEGER, -- NULL when the bundle does not say
	indexed_at       INTEGER NOT NULL,
	UNIQUE (repository, version)
);

-- Versions, Bundle's latest and List's cursor all walk this order.
CREATE INDEX versions_semver ON versions (repository, sort_key, version);
CREATE INDEX versions_indexed_at ON versions (indexed_at);

-- A version's platform builds, in the order the index lists them.
CREATE TABLE builds (
	version_id      INTEGER NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
	position        INTEGER NOT NULL,
	platform        TEXT    NOT NULL,
	manifest_digest TEXT    NOT NULL,
	layer_digest    TEXT    NOT NULL,
	size            INTEGER NOT NULL,
	PRIMARY KEY (version_id, position)
);

-- Blob GETs are attributed to downloads by layer digest.
CREATE INDEX builds_layer ON builds (layer_digest);

-- One row per repository that has versions or downloads: what a search
-- filters and sorts on, so it reads no versions but the page it returns.
-- latest_id is the version searches show (NULL once every version is
-- deleted: the row stays for its downloads), and server_type, level,
-- signed and platforms are copied from it; versions and updated_at
-- summarize the versions; downloads is the repository's running total.
-- platforms lists the latest's builds between spaces (internal/platform),
-- so the platform filter is a substring test on the row instead of a
-- builds lookup per bundle.
CREATE TABLE bundles (
	id          INTEGER PRIMARY KEY,
	repository  TEXT    NOT NULL UNIQUE,
	latest_id   INTEGER REFERENCES versions (id) ON DELETE SET NULL,
	server_type TEXT,
	level       INTEGER,
	signed      INTEGER,
	platforms   TEXT,
	versions    INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER,
	downloads   INTEGER NOT NULL DEFAULT 0
);

-- The unfiltered sorts walk an index and stop at the page.
CREATE INDEX bundles_downloads ON bundles (downloads DESC, repository);
CREATE INDEX bundles_updated_at ON bundles (updated_at DESC, repository);

-- The latest version's text, one row per bundle (rowid = bundles.id), so a
-- search matches bundles, not versions. Columns are in falling weight; the
-- text is prepared in Go (internal/fulltext) as lowercase words.
CREATE VIRTUAL TABLE bundle_text USING fts5 (
	name, display_name, tools, keywords, description, details,
	tokenize = 'unicode61 remove_diacritics 2'
);

-- Download counts per version, platform and UTC day ('YYYY-MM-DD'). Not tied
-- to versions: deleting a version keeps what it was downloaded.
CREATE TABLE downloads (
	repository TEXT    NOT NULL,
	version    TEXT    NOT NULL,
	platform   TEXT    NOT NULL,
	day        TEXT    NOT NULL,
	count      INTEGER NOT NULL,
	PRIMARY KEY (repository, version, platform, day)
) WITHOUT ROWID;
