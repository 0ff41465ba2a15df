-- A yanked version (a yank record attached to it in the registry) stays
-- listed but is never a bundle's latest. A tampered version is one whose tag
-- was found on another digest than the one indexed (moved outside mpakd):
-- the catalog keeps the original digest and records the one seen.
ALTER TABLE versions ADD COLUMN yanked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE versions ADD COLUMN yank_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE versions ADD COLUMN tampered TEXT NOT NULL DEFAULT '';
