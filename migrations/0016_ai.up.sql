-- AI service (issue 15): the search documents behind embeddings and full-text search, the
-- per-client AI settings (embedding provider, duplicate threshold), validation findings.

-- Which model embedded a row, on the tables that did not say yet (work_items and prs have it).
ALTER TABLE projects ADD COLUMN embedding_model VARCHAR(100);
ALTER TABLE repositories ADD COLUMN embedding_model VARCHAR(100);
ALTER TABLE incidents ADD COLUMN embedding_model VARCHAR(100);

-- One row per embeddable item (work item, PR, incident, project, repository): its text as
-- embedded and searched, a content hash to skip unchanged text, what embedded it (model +
-- hash of the text it saw), and the full-text vector keyword search ranks.
CREATE TABLE ai_documents (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    item_type VARCHAR(20) NOT NULL CHECK (item_type IN ('work_item', 'pr', 'incident', 'project', 'repository')),
    item_id BIGINT NOT NULL,
    project_id INTEGER,
    repository_id INTEGER,
    item_key TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    content_hash CHAR(64) NOT NULL,
    model VARCHAR(100),
    dimension INTEGER,
    embedded_hash CHAR(64),
    embedded_at TIMESTAMPTZ,
    search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', left(title, 20000)), 'A') ||
        setweight(to_tsvector('english', left(body, 100000)), 'B')) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, item_type, item_id)
);
CREATE INDEX ai_documents_fts ON ai_documents USING gin (search_vector);
CREATE INDEX ai_documents_project ON ai_documents (client_id, project_id, item_type);
CREATE INDEX ai_documents_repository ON ai_documents (client_id, repository_id, item_type);

-- Per-client AI settings: the embedding provider ('local' = in process, nothing leaves the
-- machine; 'openai' = an OpenAI-compatible HTTP API whose key is sealed with CredentialSealer,
-- bound to (client_id, -1)) and the duplicate threshold an admin tunes.
CREATE TABLE ai_settings (
    client_id INTEGER PRIMARY KEY REFERENCES clients(id),
    provider VARCHAR(20) NOT NULL DEFAULT 'local' CHECK (provider IN ('local', 'openai')),
    base_url TEXT,
    model VARCHAR(100),
    dimension INTEGER CHECK (dimension IS NULL OR dimension IN (384, 1536)),
    api_key_sealed BYTEA,
    duplicate_threshold DOUBLE PRECISION NOT NULL DEFAULT 0.8 CHECK (duplicate_threshold > 0 AND duplicate_threshold <= 1),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (provider = 'local' OR (base_url IS NOT NULL AND model IS NOT NULL AND dimension IS NOT NULL))
);

-- Findings on ingested data (F-VALIDATE): one per rule and subject; an admin dismisses them.
CREATE TABLE ai_validation_findings (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    rule VARCHAR(60) NOT NULL,
    severity VARCHAR(20) NOT NULL DEFAULT 'warning',
    subject_type VARCHAR(30) NOT NULL,
    subject_key TEXT NOT NULL,
    detail JSONB NOT NULL DEFAULT '{}',
    dismissed_at TIMESTAMPTZ,
    dismissed_by VARCHAR(255),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, rule, subject_type, subject_key)
);
CREATE INDEX ai_validation_findings_open ON ai_validation_findings (client_id, created_at) WHERE dismissed_at IS NULL;

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['ai_documents', 'ai_settings', 'ai_validation_findings']) AS t;

CREATE TRIGGER ai_documents_touch BEFORE UPDATE ON ai_documents FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER ai_settings_touch BEFORE UPDATE ON ai_settings FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER ai_validation_findings_touch BEFORE UPDATE ON ai_validation_findings
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

-- pulse-ai drains every active client's embedding backlog at start; the application role sees
-- only its own tenant's `clients` row, so the list comes through this owner-run lookup (ids only).
CREATE FUNCTION pulse_ai_active_clients() RETURNS SETOF integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM clients WHERE active ORDER BY id $$;
