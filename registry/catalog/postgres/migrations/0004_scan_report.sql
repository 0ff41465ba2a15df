-- The newest scan report attached to a version, verbatim (JSON), so the
-- API can show every control's result without a registry round trip.
ALTER TABLE versions ADD COLUMN scan_report bytea;
