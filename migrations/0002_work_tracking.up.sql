-- Work tracking (Jira and similar): projects, workflows, statuses and work item types with
-- their normalising mappings, work items with changelogs, and ETL job schedules.

CREATE TABLE projects (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    external_id VARCHAR(255),
    key VARCHAR(50) NOT NULL,
    name VARCHAR(255) NOT NULL,
    project_type VARCHAR(50),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, key),
    UNIQUE (client_id, id)
);

CREATE TABLE workflows (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    project_id INTEGER,
    name VARCHAR(255) NOT NULL,
    -- Ordered steps, e.g. [{"status":"To Do","category":"to_do"}, ...].
    steps JSONB NOT NULL DEFAULT '[]',
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, project_id) REFERENCES projects (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, project_id, name)
);

-- Source statuses as the tracker names them.
CREATE TABLE statuses (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    external_id VARCHAR(255),
    name VARCHAR(255) NOT NULL,
    category VARCHAR(50),
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, integration_id, name)
);

-- Source work item types ("wits").
CREATE TABLE wits (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    external_id VARCHAR(255),
    name VARCHAR(255) NOT NULL,
    description TEXT,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, integration_id, name)
);

-- Source status name → normalised flow step (to_do / in_progress / done).
CREATE TABLE status_mappings (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    status_from VARCHAR(255) NOT NULL,
    status_to VARCHAR(50) NOT NULL CHECK (status_to IN ('to_do', 'in_progress', 'done')),
    status_category VARCHAR(50),
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, status_from)
);

-- Source work item type → normalised type (story, bug, incident, task, epic...).
CREATE TABLE wits_mappings (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    wit_from VARCHAR(255) NOT NULL,
    wit_to VARCHAR(50) NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, wit_from)
);

CREATE TABLE work_items (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    project_id INTEGER,
    integration_id INTEGER,
    external_id VARCHAR(255),
    key VARCHAR(100) NOT NULL,
    summary TEXT NOT NULL,
    description TEXT,
    wit_name VARCHAR(255),
    status_name VARCHAR(255),
    priority VARCHAR(50),
    assignee VARCHAR(255),
    reporter VARCHAR(255),
    story_points REAL,
    labels TEXT[] NOT NULL DEFAULT '{}',
    components TEXT[] NOT NULL DEFAULT '{}',
    -- Raw source fields (custom fields, e.g. the incident's repository field).
    fields JSONB NOT NULL DEFAULT '{}',
    parent_key VARCHAR(100),
    sprint VARCHAR(255),
    source_created_at TIMESTAMPTZ NOT NULL,
    source_updated_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    embedding vector1536,
    embedding_model VARCHAR(100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, project_id) REFERENCES projects (client_id, id),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, key),
    UNIQUE (client_id, id)
);
CREATE INDEX work_items_client_created ON work_items (client_id, source_created_at);
CREATE INDEX work_items_client_resolved ON work_items (client_id, resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX work_items_project_created ON work_items (client_id, project_id, source_created_at);

-- Status transitions of a work item (lead/cycle time, incident resolution).
CREATE TABLE changelogs (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    work_item_id BIGINT NOT NULL,
    external_id VARCHAR(255),
    field VARCHAR(100) NOT NULL DEFAULT 'status',
    from_value VARCHAR(255),
    to_value VARCHAR(255),
    author VARCHAR(255),
    changed_at TIMESTAMPTZ NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, work_item_id) REFERENCES work_items (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, work_item_id, external_id, field)
);
CREATE INDEX changelogs_item_time ON changelogs (client_id, work_item_id, changed_at);
CREATE INDEX changelogs_client_time ON changelogs (client_id, changed_at);

CREATE TABLE job_schedules (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    job_name VARCHAR(100) NOT NULL,
    cron VARCHAR(100) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    checkpoint JSONB NOT NULL DEFAULT '{}',
    last_run_at TIMESTAMPTZ,
    next_run_at TIMESTAMPTZ,
    last_error TEXT,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    UNIQUE (client_id, job_name, integration_id)
);
CREATE INDEX job_schedules_due ON job_schedules (next_run_at) WHERE status = 'active';

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['projects', 'workflows', 'statuses', 'wits', 'status_mappings', 'wits_mappings',
                  'work_items', 'changelogs', 'job_schedules']) AS t;

CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER workflows_touch BEFORE UPDATE ON workflows FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER statuses_touch BEFORE UPDATE ON statuses FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER wits_touch BEFORE UPDATE ON wits FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER status_mappings_touch BEFORE UPDATE ON status_mappings FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER wits_mappings_touch BEFORE UPDATE ON wits_mappings FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER work_items_touch BEFORE UPDATE ON work_items FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER changelogs_touch BEFORE UPDATE ON changelogs FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER job_schedules_touch BEFORE UPDATE ON job_schedules FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
