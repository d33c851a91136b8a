-- Every stored .info, .mod and .zip row is announced on channel stoa_storage_stored
-- with payload '<kind> <size> <published|proxied> <module>@<version>' (pgs3_watch.c),
-- delivered when the storing transaction commits, to every stoa process sharing this
-- database: each notes a proxied file's size in its cache ledger (core/fill/ledger.c),
-- so the replicas' quota rounds see every byte of the shared cache, and forgets a
-- published version. Inserts only: a put of an immutable file that is there already
-- inserts nothing, and an UPDATE (a hand edit) is announced by 0006 as a removal.
-- A payload past PostgreSQL's 8000-byte limit would fail the insert (stoa's module
-- paths are at most 512 bytes, but rows can come from elsewhere): it is sent as 'lost',
-- which makes listeners walk storage instead.
CREATE FUNCTION storage_files_stored() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    payload text := NEW.kind || ' ' || NEW.size || ' '
        || CASE WHEN NEW.origin = 'published' THEN 'published' ELSE 'proxied' END || ' '
        || NEW.module || '@' || NEW.version;
BEGIN
    IF octet_length(payload) >= 8000 THEN
        payload := 'lost';
    END IF;
    PERFORM pg_notify('stoa_storage_stored', payload);
    RETURN NULL;
END
$$;
CREATE TRIGGER storage_files_stored AFTER INSERT ON storage_files
    FOR EACH ROW WHEN (NEW.kind IN ('info', 'mod', 'zip'))
    EXECUTE FUNCTION storage_files_stored();
