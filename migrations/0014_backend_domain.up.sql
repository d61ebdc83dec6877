-- Backend domain (issue 13, issue 12 items 1-2): platform operators, client settings and
-- feature flags, user profiles and preferences, logos, mappings per integration, projects,
-- repositories and teams for DORA scopes, and the admin audit trail.

-- Platform operators are users of the one platform client (is_platform): a role outside every
-- customer client. `pulse operators create` makes it (slug `pulse-operators`) and its users.
ALTER TABLE clients ADD COLUMN is_platform BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX clients_single_platform ON clients (is_platform) WHERE is_platform;

-- What an operator may see across tenants: the client directory, nothing inside a client.
CREATE FUNCTION pulse_operator_clients()
    RETURNS TABLE (id integer, name varchar, slug varchar, active boolean, created_at timestamptz, updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id, name, slug, active, created_at, updated_at FROM clients WHERE NOT is_platform ORDER BY id $$;

CREATE FUNCTION pulse_operator_create_client(client_name text, client_slug text) RETURNS integer
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$ INSERT INTO clients (name, slug) VALUES (client_name, client_slug) RETURNING id $$;

CREATE FUNCTION pulse_client_is_platform(target integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT COALESCE((SELECT is_platform FROM clients WHERE id = target), false) $$;

-- Profile and preferences (F-USERS): theme_mode already lives on users.
ALTER TABLE users
    ADD COLUMN avatar_url VARCHAR(2048),
    ADD COLUMN time_zone VARCHAR(64),
    ADD COLUMN locale VARCHAR(35),
    ADD COLUMN default_dashboard_scope VARCHAR(100),
    ADD COLUMN default_dashboard_period VARCHAR(20);

-- Logos (F-BRAND): the bytes, served at /api/v1/branding/{slug}/logo/{content_hash}.
CREATE TABLE client_logos (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    content_hash VARCHAR(64) NOT NULL,
    content_type VARCHAR(50) NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml', 'image/webp')),
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, content_hash)
);

-- Mappings may name the integration they apply to (NULL: every integration of the client).
ALTER TABLE status_mappings ADD COLUMN integration_id INTEGER,
    ADD FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE;
ALTER TABLE wits_mappings ADD COLUMN integration_id INTEGER,
    ADD FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE;

-- What the ETL discovered, as admins arrange it for DORA scopes.
ALTER TABLE projects ADD COLUMN display_name VARCHAR(255);
ALTER TABLE repositories
    ADD COLUMN display_name VARCHAR(255),
    ADD COLUMN service_name VARCHAR(100),
    ADD COLUMN excluded BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE teams (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    name VARCHAR(255) NOT NULL,
    description VARCHAR(2000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, name),
    UNIQUE (client_id, id)
);

CREATE TABLE team_members (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    team_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, team_id, user_id),
    FOREIGN KEY (client_id, team_id) REFERENCES teams (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
);

CREATE TABLE team_repositories (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    team_id INTEGER NOT NULL,
    repository_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, team_id, repository_id),
    FOREIGN KEY (client_id, team_id) REFERENCES teams (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE
);

CREATE TABLE team_projects (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    team_id INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, team_id, project_id),
    FOREIGN KEY (client_id, team_id) REFERENCES teams (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, project_id) REFERENCES projects (client_id, id) ON DELETE CASCADE
);

-- Every admin change: who, what, before/after, when (readable by the client's admins).
CREATE TABLE admin_audit_events (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    actor_subject VARCHAR(255) NOT NULL,
    actor_client_id INTEGER,
    action VARCHAR(50) NOT NULL,
    resource_type VARCHAR(50) NOT NULL,
    resource_id VARCHAR(100),
    before JSONB,
    after JSONB,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX admin_audit_events_client_time ON admin_audit_events (client_id, id);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['client_logos', 'teams', 'team_members', 'team_repositories', 'team_projects',
                  'admin_audit_events']) AS t;

CREATE TRIGGER client_logos_touch BEFORE UPDATE ON client_logos FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER teams_touch BEFORE UPDATE ON teams FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
