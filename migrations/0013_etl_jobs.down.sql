DROP FUNCTION IF EXISTS pulse_etl_job_json(etl_job_runs);
DROP FUNCTION IF EXISTS pulse_etl_time(timestamptz);
DROP FUNCTION IF EXISTS pulse_client_slug(integer);
DROP FUNCTION IF EXISTS pulse_etl_clients_with_due_work(integer);
DROP POLICY IF EXISTS owner_queue ON job_schedules;
DROP FUNCTION IF EXISTS pulse_client_id_for_integration(integer);
DROP POLICY IF EXISTS owner_lookup ON integrations;
DROP POLICY IF EXISTS owner_queue ON etl_job_runs;
DROP TABLE IF EXISTS etl_instances;
DROP INDEX IF EXISTS etl_job_runs_integration;
DROP INDEX IF EXISTS etl_job_runs_client_status;
ALTER TABLE job_schedules DROP COLUMN IF EXISTS mode;
ALTER TABLE etl_job_runs
    DROP COLUMN IF EXISTS heartbeat_at,
    DROP COLUMN IF EXISTS requested_action,
    DROP COLUMN IF EXISTS max_attempts,
    DROP COLUMN IF EXISTS pages_processed,
    DROP COLUMN IF EXISTS mode;
