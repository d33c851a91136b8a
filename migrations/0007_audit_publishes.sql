-- Who published what (the web UI's module page, core/audit/audit_query.c): the publishes
-- of one module without scanning the whole trail. Partial: publishes are few.
CREATE INDEX audit_events_publishes ON audit_events (module, version, time) WHERE action = 'publish';
