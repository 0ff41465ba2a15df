-- Search text moves out of bundles into a table of its own. Inline, the
-- tsvector made bundles about 67 MB for 20k repositories, and every search
-- counts its matches by scanning bundles: a filter-only or empty search
-- read all of it. Now bundles rows are a few dozen bytes, and the text is
-- read only by searches that have text. (An existing database keeps the
-- dropped column's bytes in old row versions until they are rewritten;
-- VACUUM FULL bundles reclaims them at once.)
CREATE TABLE bundle_documents (
	bundle_id bigint   PRIMARY KEY REFERENCES bundles (id) ON DELETE CASCADE,
	document  tsvector NOT NULL
);
INSERT INTO bundle_documents (bundle_id, document)
	SELECT id, document FROM bundles WHERE document IS NOT NULL;
CREATE INDEX bundle_documents_document ON bundle_documents USING gin (document);
DROP INDEX bundles_document;
ALTER TABLE bundles DROP COLUMN document;

-- Searches only ever see listed bundles (with a latest version); counting
-- them all can then read this index alone.
CREATE INDEX bundles_listed ON bundles (id) WHERE latest_id IS NOT NULL;

-- The catalog's generation: every change of versions (a put or a delete,
-- in the same transaction) increases it, nothing else does. Search caches
-- key entries by it, so a version one replica indexes is visible through
-- every other at once. Download counts do not change it: they change all
-- the time, and caches bound their age instead.
CREATE TABLE catalog_generation (
	id         boolean PRIMARY KEY DEFAULT true CHECK (id),
	generation bigint  NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (true, 0);
