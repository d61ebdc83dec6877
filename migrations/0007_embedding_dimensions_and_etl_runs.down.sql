DROP TABLE etl_job_runs;
ALTER TABLE job_schedules DROP CONSTRAINT job_schedules_client_id_id_key;

-- Back to 1536-only columns: refused (check violation, nothing changed) while a 384-d
-- embedding is stored; clear or re-embed those first.
DO $$
DECLARE column_ record;
BEGIN
    FOR column_ IN
        SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND domain_name = 'embedding_vector'
        ORDER BY table_name, column_name
    LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE vector1536', column_.table_name, column_.column_name);
    END LOOP;
END $$;

DROP TABLE pulse_embedding_models;
DROP DOMAIN embedding_vector;
DROP DOMAIN vector384;
