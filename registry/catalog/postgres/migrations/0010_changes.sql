-- The change feed search engines follow (registry/search): every write
-- that changes what a search shows of a repository (a put, a delete, a
-- download count) takes the next change_seq in its own transaction and
-- logs the repository under it. A reader that has applied everything up
-- to seq N asks for the repositories logged after N and re-reads them.
-- The counter lives in the row every writer already locks, so sequence
-- numbers are handed out in commit order: a transaction holding seq N
-- keeps the row locked until it commits, so no reader can see N+1 before
-- N, and a reader never skips a transaction that commits late. Writers
-- also NOTIFY mpak_catalog_changes, so replicas need not wait for a poll.
ALTER TABLE catalog_generation ADD COLUMN change_seq bigint NOT NULL DEFAULT 0;
CREATE TABLE catalog_changes (
	seq        bigint NOT NULL,
	repository text   NOT NULL,
	PRIMARY KEY (seq, repository)
);
