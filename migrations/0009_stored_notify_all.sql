-- The cache quota counts every cached byte (lists, @latest and checksum tiles too), so
-- every replica's ledger must hear of them: from here every inserted row of any kind
-- but sumdb_latest (the database's head, which the quota does not count) is announced
-- on stoa_storage_stored by 0008's function, and so is every replaced list and latest
-- (their put is an upsert: pgs3's insert_row updates the row), with its new size and
-- version '' ('list 14 proxied example.com/m@'). A deleted list or latest is announced
-- on stoa_storage_removed as 'module@' by 0006's function. 0006's trigger is kept as it
-- was: an UPDATE of an immutable row (a hand edit) is still a removal, not a store.
DROP TRIGGER storage_files_stored ON storage_files;
CREATE TRIGGER storage_files_stored AFTER INSERT ON storage_files
    FOR EACH ROW WHEN (NEW.kind <> 'sumdb_latest')
    EXECUTE FUNCTION storage_files_stored();
CREATE TRIGGER storage_files_replaced AFTER UPDATE ON storage_files
    FOR EACH ROW WHEN (NEW.kind IN ('list', 'latest'))
    EXECUTE FUNCTION storage_files_stored();
CREATE TRIGGER storage_files_answers_removed AFTER DELETE ON storage_files
    FOR EACH ROW WHEN (OLD.kind IN ('list', 'latest'))
    EXECUTE FUNCTION storage_files_removed();
