-- Embeddings of the configured model's dimension, and ETL job runs with leases.

-- 1. Embedding columns accept 384-d (local all-MiniLM-L6-v2, the default model) as well as
-- 1536-d (OpenAI text-embedding-3-small) vectors. The dimension is the array's length, so
-- each row says what it holds; tables that mix models record the model per row
-- (`embedding_model`), and pulse_embedding_models lists the dimension each model produces.
-- The Swift HNSW index keeps one graph per (table, dimension).
CREATE DOMAIN vector384 AS real[]
    CHECK (VALUE IS NULL OR (array_ndims(VALUE) = 1 AND cardinality(VALUE) = 384
                             AND array_position(VALUE, NULL) IS NULL));

CREATE DOMAIN embedding_vector AS real[]
    CHECK (VALUE IS NULL OR (array_ndims(VALUE) = 1 AND cardinality(VALUE) IN (384, 1536)
                             AND array_position(VALUE, NULL) IS NULL));

-- Known models and their dimensions (global, not tenant data: the same for every client).
CREATE TABLE pulse_embedding_models (
    model VARCHAR(100) PRIMARY KEY,
    dimension INTEGER NOT NULL CHECK (dimension IN (384, 1536)),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO pulse_embedding_models (model, dimension) VALUES
    ('all-MiniLM-L6-v2', 384),
    ('text-embedding-3-small', 1536);

-- Every column of the 1536-only domain moves to the dimension-checked one (same base type:
-- no table rewrite). Trusted DDL over catalog names, not input.
DO $$
DECLARE column_ record;
BEGIN
    FOR column_ IN
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND domain_name = 'vector1536'
        ORDER BY table_name, column_name
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE embedding_vector', column_.table_name, column_.column_name);
    END LOOP;
END $$;

-- 2. ETL job runs (F-JOBS): one row per execution of a scheduled or manual job. A running
-- run holds a lease (owner + expiry) that its ETL instance renews; another instance may
-- take the run over only after the lease expired. At most one run of a job runs at a time.
ALTER TABLE job_schedules ADD CONSTRAINT job_schedules_client_id_id_key UNIQUE (client_id, id);

CREATE TABLE etl_job_runs (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    job_schedule_id INTEGER,
    integration_id INTEGER,
    job VARCHAR(100) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'paused')),
    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt > 0),
    lease_owner VARCHAR(255),
    lease_expires_at TIMESTAMPTZ,
    -- Counters and the resume point; `checkpoint` is what a killed run resumes from.
    progress JSONB NOT NULL DEFAULT '{}',
    items_processed BIGINT NOT NULL DEFAULT 0 CHECK (items_processed >= 0),
    checkpoint JSONB NOT NULL DEFAULT '{}',
    error TEXT,
    scheduled_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_attempt_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, job_schedule_id) REFERENCES job_schedules (client_id, id) ON DELETE SET NULL (job_schedule_id),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, id),
    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
    CHECK (status <> 'running' OR (lease_owner IS NOT NULL AND started_at IS NOT NULL)),
    CHECK (status NOT IN ('succeeded', 'failed', 'cancelled') OR finished_at IS NOT NULL),
    CHECK (finished_at IS NULL OR started_at IS NULL OR finished_at >= started_at)
);
-- One running run per job (and integration) per client: a second lease attempt fails.
CREATE UNIQUE INDEX etl_job_runs_one_running ON etl_job_runs (client_id, job, COALESCE(integration_id, 0))
    WHERE status = 'running';
CREATE INDEX etl_job_runs_client_time ON etl_job_runs (client_id, created_at);
CREATE INDEX etl_job_runs_queue ON etl_job_runs (next_attempt_at, scheduled_at) WHERE status = 'queued';
CREATE INDEX etl_job_runs_leases ON etl_job_runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX etl_job_runs_schedule ON etl_job_runs (client_id, job_schedule_id, created_at);

SELECT pulse_enable_tenant_rls('etl_job_runs'::regclass);
CREATE TRIGGER etl_job_runs_touch BEFORE UPDATE ON etl_job_runs FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
