-- What the signatures and attestations of a version claim (JSON: who
-- signed, the SLSA provenance), read from its referrers unverified, so the
-- web UI and the API can show them without a registry round trip.
ALTER TABLE versions ADD COLUMN provenance BLOB;
