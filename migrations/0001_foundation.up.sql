-- Foundation: tenant scope function, row-level security helper, embedding domain,
-- timestamps trigger, clients and their users, sessions, permissions and settings.

-- The tenant of the current transaction, set by the data layer with
-- set_config('pulse.client_id', $1, true). NULL (no scope) matches no tenant row.
CREATE FUNCTION pulse_current_client() RETURNS integer
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('pulse.client_id', true), '')::integer $$;

-- ENABLE + FORCE row-level security keyed on client_id (applies to the owner too).
CREATE FUNCTION pulse_enable_tenant_rls(target regclass) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
    EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (client_id = pulse_current_client()) '
                   'WITH CHECK (client_id = pulse_current_client())', target);
END $$;

CREATE FUNCTION pulse_touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;

CREATE FUNCTION pulse_touch_last_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN NEW.last_updated_at := now(); RETURN NEW; END $$;

-- Embeddings without pgvector: a one-dimensional real[] of exactly 1536 finite-or-not
-- values with no NULL elements (OpenAI text-embedding-3-small compatible). The HNSW index
-- lives in Swift (PulseVector).
CREATE DOMAIN vector1536 AS real[]
    CHECK (VALUE IS NULL OR (array_ndims(VALUE) = 1 AND cardinality(VALUE) = 1536
                             AND array_position(VALUE, NULL) IS NULL));

CREATE TABLE clients (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    slug VARCHAR(63) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]*$'),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    -- DORA settings: production environment pattern (full, case-insensitive match),
    -- incident attribution window and the benchmark year tiers compare against.
    production_environment_pattern TEXT NOT NULL DEFAULT 'prod|production',
    incident_window_hours INTEGER NOT NULL DEFAULT 48 CHECK (incident_window_hours > 0),
    dora_benchmark_year INTEGER NOT NULL DEFAULT 2024,
    settings JSONB NOT NULL DEFAULT '{}',
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- clients is keyed on id, not client_id: a tenant sees only itself. The owner role
-- (migrations, `pulse clients create`, and the SECURITY DEFINER lookups below) sees all.
ALTER TABLE clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE clients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clients USING (id = pulse_current_client()) WITH CHECK (id = pulse_current_client());
CREATE POLICY client_directory ON clients TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE TRIGGER clients_touch BEFORE UPDATE ON clients FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

-- Login knows a client by slug before any scope exists: resolve it without opening the table.
CREATE FUNCTION pulse_client_id_for_slug(client_slug text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT id FROM clients WHERE slug = client_slug AND active $$;

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    email VARCHAR(255) NOT NULL,
    first_name VARCHAR(255),
    last_name VARCHAR(255),
    -- Salted slow hash with its parameters (e.g. "pbkdf2-sha256$600000$salt$hash"); NULL for SSO-only users.
    password_hash TEXT,
    auth_provider VARCHAR(50) NOT NULL DEFAULT 'local',
    external_subject VARCHAR(255),
    theme_mode VARCHAR(10) NOT NULL DEFAULT 'system' CHECK (theme_mode IN ('light', 'dark', 'system')),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_login_count INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    last_login_at TIMESTAMPTZ,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, email),
    UNIQUE (client_id, id)
);
CREATE UNIQUE INDEX users_external_subject ON users (client_id, auth_provider, external_subject)
    WHERE external_subject IS NOT NULL;

CREATE TABLE user_sessions (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    user_id INTEGER NOT NULL,
    -- Public session id carried in tokens (`sid`); the cookie value is stored hashed.
    session_key UUID NOT NULL UNIQUE,
    token_hash BYTEA,
    ip_address VARCHAR(64),
    user_agent TEXT,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    last_seen_at TIMESTAMPTZ,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE
);
CREATE INDEX user_sessions_user ON user_sessions (client_id, user_id, expires_at);

CREATE TABLE user_permissions (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    user_id INTEGER NOT NULL,
    resource VARCHAR(100) NOT NULL,
    action VARCHAR(50) NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, user_id, resource, action)
);

CREATE TABLE system_settings (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    setting_key VARCHAR(100) NOT NULL,
    setting_value JSONB NOT NULL,
    description TEXT,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, setting_key)
);

CREATE TABLE client_color_settings (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    theme_mode VARCHAR(10) NOT NULL CHECK (theme_mode IN ('light', 'dark')),
    color_schema VARCHAR(50) NOT NULL DEFAULT 'default',
    colors JSONB NOT NULL DEFAULT '{}',
    logo_url TEXT,
    display_name VARCHAR(255),
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, theme_mode, color_schema)
);

CREATE TABLE integrations (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    provider VARCHAR(50) NOT NULL CHECK (provider IN ('jira', 'github', 'webhook', 'custom')),
    name VARCHAR(255) NOT NULL,
    base_url TEXT,
    -- AES-256-GCM ciphertext (nonce || ciphertext || tag); never returned by the API.
    credentials_encrypted BYTEA,
    settings JSONB NOT NULL DEFAULT '{}',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_sync_at TIMESTAMPTZ,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, provider, name),
    UNIQUE (client_id, id)
);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['users', 'user_sessions', 'user_permissions', 'system_settings',
                  'client_color_settings', 'integrations']) AS t;

CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER user_sessions_touch BEFORE UPDATE ON user_sessions FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER user_permissions_touch BEFORE UPDATE ON user_permissions FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER system_settings_touch BEFORE UPDATE ON system_settings FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER client_color_settings_touch BEFORE UPDATE ON client_color_settings FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER integrations_touch BEFORE UPDATE ON integrations FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
