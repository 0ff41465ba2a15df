-- Harbor reports pulls by manifest digest: Store.Manifest looks builds up
-- by it.
CREATE INDEX builds_manifest ON builds (manifest_digest);
