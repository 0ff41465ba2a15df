-- A yanked version (a yank record attached to it in the registry) stays
-- listed but is never a bundle's latest. A tampered version is one whose tag
-- was found on another digest than the one indexed (moved outside mpakd):
-- the catalog keeps the original digest and records the one seen.
ALTER TABLE versions ADD COLUMN yanked boolean NOT NULL DEFAULT false;
ALTER TABLE versions ADD COLUMN yank_reason text NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN tampered text NOT NULL DEFAULT '';
