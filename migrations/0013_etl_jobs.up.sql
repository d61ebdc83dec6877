-- ETL jobs (issue 12 items 6-9): the queue's own columns on etl_job_runs (mode, pages,
-- retry limit, pause/cancel requests, heartbeats), the JSON shape the API and /ws/jobs
-- share, dedicated-instance leases (F-MULTI), and the owner-run lookups a worker needs to
-- find which tenants have due work before it opens a tenant scope.

ALTER TABLE etl_job_runs
    ADD COLUMN mode VARCHAR(20) NOT NULL DEFAULT 'full' CHECK (mode IN ('full', 'incremental')),
    ADD COLUMN pages_processed BIGINT NOT NULL DEFAULT 0 CHECK (pages_processed >= 0),
    ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    -- Set by POST .../pause|cancel while the job runs; the runner acts on it after the
    -- page it is committing (or at its next heartbeat).
    ADD COLUMN requested_action VARCHAR(20) CHECK (requested_action IN ('pause', 'cancel')),
    ADD COLUMN heartbeat_at TIMESTAMPTZ;

ALTER TABLE job_schedules
    ADD COLUMN mode VARCHAR(20) NOT NULL DEFAULT 'incremental' CHECK (mode IN ('full', 'incremental'));

CREATE INDEX etl_job_runs_client_status ON etl_job_runs (client_id, status, id);
CREATE INDEX etl_job_runs_integration ON etl_job_runs (client_id, integration_id, id);

-- A pulse-etl started with CLIENT_NAME holds a lease on its client, renewed while it runs.
-- The shared instance (no CLIENT_NAME) skips clients with a live lease: their jobs and
-- schedules are the dedicated instance's. When a dedicated instance stops for longer than
-- its lease, the shared one takes its client's work over.
CREATE TABLE etl_instances (
    client_id INTEGER PRIMARY KEY REFERENCES clients(id),
    instance_id VARCHAR(255) NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
SELECT pulse_enable_tenant_rls('etl_instances'::regclass);
CREATE TRIGGER etl_instances_touch BEFORE UPDATE ON etl_instances FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

-- Workers poll across tenants for the ids of clients with due work only; claiming,
-- running and finishing happen in that client's scope (row-level security applies).
CREATE POLICY owner_queue ON etl_job_runs FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_queue ON job_schedules FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_queue ON etl_instances FOR SELECT TO CURRENT_USER USING (true);

-- A webhook signed with an integration's secret names only the integration id: learn its
-- client (nothing else) before opening that client's scope.
CREATE POLICY owner_lookup ON integrations FOR SELECT TO CURRENT_USER USING (true);
CREATE FUNCTION pulse_client_id_for_integration(integration integer) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT client_id FROM integrations WHERE id = integration $$;

-- Clients with a queued job that is due, a running job whose lease expired (its instance
-- died), or an active schedule that is due. `dedicated` NULL: the shared instance's view
-- (clients with a live dedicated instance left out); else only that client.
CREATE FUNCTION pulse_etl_clients_with_due_work(dedicated integer)
    RETURNS TABLE (client_id integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$
    SELECT c.client_id FROM (
        SELECT r.client_id FROM etl_job_runs r
        WHERE (r.status = 'queued' AND COALESCE(r.next_attempt_at, r.scheduled_at) <= now())
           OR (r.status = 'running' AND r.lease_expires_at < now())
        UNION
        SELECT s.client_id FROM job_schedules s WHERE s.status = 'active' AND s.next_run_at <= now()
    ) c
    WHERE (dedicated IS NOT NULL AND c.client_id = dedicated)
       OR (dedicated IS NULL AND NOT EXISTS (
            SELECT 1 FROM etl_instances i WHERE i.client_id = c.client_id AND i.expires_at > now()))
    $$;

-- The slug of a client (per-client log files are named by it); the owner sees all clients.
CREATE FUNCTION pulse_client_slug(client integer) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT slug FROM clients WHERE id = client $$;

-- UTC ISO-8601 with microseconds, whatever the session's TimeZone.
CREATE FUNCTION pulse_etl_time(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- One job as GET /etl/jobs/{id} and /ws/jobs frames show it.
CREATE FUNCTION pulse_etl_job_json(r etl_job_runs) RETURNS json
    LANGUAGE sql STABLE
    AS $$ SELECT json_build_object(
        'id', r.id, 'integration_id', r.integration_id, 'schedule_id', r.job_schedule_id, 'job', r.job,
        'mode', r.mode, 'status', r.status, 'attempt', r.attempt, 'max_attempts', r.max_attempts,
        'progress', r.progress, 'error', r.error, 'items', r.items_processed, 'pages', r.pages_processed,
        'requested_action', r.requested_action,
        'created_at', pulse_etl_time(r.created_at), 'started_at', pulse_etl_time(r.started_at),
        'finished_at', pulse_etl_time(r.finished_at), 'next_attempt_at', pulse_etl_time(r.next_attempt_at),
        'duration_seconds', CASE WHEN r.started_at IS NULL THEN NULL
            ELSE round(EXTRACT(EPOCH FROM (COALESCE(r.finished_at, now()) - r.started_at))::numeric, 3) END)
    $$;
