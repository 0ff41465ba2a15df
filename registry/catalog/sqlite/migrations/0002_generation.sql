-- The catalog's generation: a number every change of versions (a put or a
-- delete, in the same transaction) increases, and nothing else does. A
-- search cache keys its entries by it, so what any process writes to this
-- database is visible to every other at once. Download counts do not
-- change it: they change all the time, and caches bound their age instead.
CREATE TABLE catalog_generation (
	id         integer PRIMARY KEY CHECK (id = 1),
	generation integer NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);
