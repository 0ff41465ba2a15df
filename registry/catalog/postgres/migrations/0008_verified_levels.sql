-- A certification level counts only from a scan verdict signed by a
-- trusted scanner key (oci/scanlevel). Levels indexed before were read from
-- unsigned reports: they become claims, and reindexing verifies them.
ALTER TABLE versions ADD COLUMN level_verified boolean NOT NULL DEFAULT false;
ALTER TABLE versions ADD COLUMN claimed_level integer NOT NULL DEFAULT 0;
UPDATE versions SET claimed_level = level, level = 0;
UPDATE bundles SET level = 0 WHERE level IS NOT NULL;
