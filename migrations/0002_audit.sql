-- The audit trail (core/audit.c, docs/audit.md): one row per module request, publish,
-- delete, token change and auth decision. Rows are only ever inserted; the sink inserts
-- with ON CONFLICT (id) DO NOTHING, so a replayed event is stored once.
CREATE TABLE audit_events (
    id              uuid PRIMARY KEY,            -- unique per event, made by the writer
    time            timestamptz NOT NULL,        -- when the request started
    instance        text,                        -- host:pid of the stoa process
    request_id      text,                        -- also the X-Request-Id response header
    action          text NOT NULL,               -- download list sumdb catalog admin publish delete
                                                 -- token.create token.revoke request
    kind            text,                        -- info mod zip list latest sumdb catalog index admin token
    method          text,
    path            text,                        -- as requested, with query
    repo            text,                        -- /api/go/<repo>/, NULL at the root
    module          text,
    version         text,
    status          integer NOT NULL,            -- HTTP status (0: CLI action that succeeded)
    client          text,                        -- client address
    identity        text,                        -- token:<name>, loopback, cli:<user>, ...
    auth            text,                        -- allow | deny | anonymous; NULL: no auth check
    cache           text,                        -- hit | miss | stale | published
    upstream        text,                        -- upstream that served a miss
    upstream_failed text[],                      -- upstreams that failed during the request
    bytes           bigint NOT NULL,             -- body bytes sent (received for a publish)
    duration_ms     double precision NOT NULL,
    error           text,                        -- the reason shown to the client
    target          text                         -- what an admin action acted on (token:<name>)
);

CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_module_time ON audit_events (module, time);
CREATE INDEX audit_events_identity_time ON audit_events (identity, time);
CREATE INDEX audit_events_denied ON audit_events (client, time) WHERE auth = 'deny';
CREATE INDEX audit_events_changes ON audit_events (time)
    WHERE action IN ('publish', 'delete', 'token.create', 'token.revoke');
CREATE INDEX audit_events_upstream_failed ON audit_events USING gin (upstream_failed)
    WHERE upstream_failed IS NOT NULL;
