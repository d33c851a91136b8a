-- Every removed or changed row of an immutable file is announced on channel
-- stoa_storage_removed with payload 'module@version' (pgs3_watch.c), delivered when
-- the removing transaction commits, to every stoa process sharing this database: each
-- then forgets what it remembered of that version, so hits can skip PostgreSQL and a
-- version removed on one replica (or by hand in psql) is not served by another.
-- PostgreSQL folds identical payloads of one transaction into one notification.
CREATE FUNCTION storage_files_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('stoa_storage_removed', OLD.module || '@' || OLD.version);
    RETURN NULL;
END
$$;
CREATE TRIGGER storage_files_removed AFTER DELETE OR UPDATE ON storage_files
    FOR EACH ROW WHEN (OLD.kind IN ('info', 'mod', 'zip', 'sumdb_tile'))
    EXECUTE FUNCTION storage_files_removed();
