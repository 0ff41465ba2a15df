-- published_at becomes when the catalog first held a version's digest
-- (the registry's first-seen), no longer the bundle's created annotation:
-- reproducible packing pins that to the zip epoch (1980-01-01), so every
-- version looked published in 1980. Rows without a usable time (none, the
-- epoch or older, allowing a day for zip times read in a local zone, or
-- one later than the indexing) take their indexing time, the earliest the
-- catalog knows it held them. Later dates came from a real build time and
-- stay. Values are Unix microseconds; 315619200000000 is 1980-01-02T00:00Z.
UPDATE versions SET published_at = indexed_at
	WHERE published_at IS NULL OR published_at < 315619200000000 OR published_at > indexed_at;
UPDATE bundles SET updated_at = (SELECT max(published_at) FROM versions v WHERE v.repository = bundles.repository)
	WHERE latest_id IS NOT NULL;
UPDATE catalog_generation SET generation = generation + 1;
