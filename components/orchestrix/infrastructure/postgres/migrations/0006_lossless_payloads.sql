-- Payloads as exact JSON text, and the class hint beside the type name.
--
-- JSONB normalises numbers (the float 1e16 comes back as the integer 10000000000000000, -0.0
-- as 0.0) and cannot hold "\u0000"; the `json` type keeps the codec's text byte for byte and
-- still validates it and answers the JSON operators. Rows written before keep their (already
-- normalised) text; the codec reads both. `type_hint` is the event class's qualified name
-- (`module:qualname`), which picks the class when several share a type name; it is NULL in
-- rows written before this migration.

ALTER TABLE events ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE events ADD COLUMN type_hint text;
ALTER TABLE snapshots ALTER COLUMN state TYPE json USING state::json;
