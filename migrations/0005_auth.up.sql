-- Auth service data: roles and permissions per client, user role grants, service accounts
-- (integrators), signing keys (global: one issuer), refresh tokens stored hashed with
-- rotation families, and the auth audit log.

CREATE TABLE roles (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    name VARCHAR(100) NOT NULL,
    description TEXT,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (client_id, name),
    UNIQUE (client_id, id)
);

CREATE TABLE role_permissions (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    role_id INTEGER NOT NULL,
    permission VARCHAR(100) NOT NULL,        -- e.g. "dora:read", "users:admin"
    resource VARCHAR(255) NOT NULL DEFAULT '*',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, role_id) REFERENCES roles (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, role_id, permission, resource)
);

CREATE TABLE user_roles (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    user_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, user_id, role_id),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, role_id) REFERENCES roles (client_id, id) ON DELETE CASCADE
);

CREATE TABLE service_accounts (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    name VARCHAR(255) NOT NULL,
    -- Public identifier used as OAuth client_id; the secret is stored only as a slow hash.
    account_key VARCHAR(100) NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    role_id INTEGER,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    last_used_at TIMESTAMPTZ,
    disabled_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, role_id) REFERENCES roles (client_id, id),
    UNIQUE (client_id, name),
    UNIQUE (client_id, id)
);

-- Token signing keys: private key encrypted with AES-256-GCM under a configured key.
CREATE TABLE signing_keys (
    id SERIAL PRIMARY KEY,
    kid VARCHAR(100) NOT NULL UNIQUE,
    alg VARCHAR(20) NOT NULL CHECK (alg IN ('EdDSA', 'RS256', 'ES256')),
    public_key BYTEA NOT NULL,
    private_key_encrypted BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Retired keys stop signing but verify until expires_at.
    retired_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ
);

CREATE TABLE refresh_tokens (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    user_id INTEGER,
    service_account_id INTEGER,
    session_id INTEGER REFERENCES user_sessions(id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL UNIQUE,        -- SHA-256 of the token
    family_id UUID NOT NULL,                 -- rotation chain; reuse revokes the family
    parent_id BIGINT REFERENCES refresh_tokens(id) ON DELETE SET NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    spent_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, service_account_id) REFERENCES service_accounts (client_id, id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (service_account_id IS NULL))
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (client_id, family_id);

CREATE TABLE auth_audit_events (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    event_type VARCHAR(50) NOT NULL,         -- login_ok, login_failed, token_issued, token_refreshed, ...
    outcome VARCHAR(20) NOT NULL DEFAULT 'success',
    user_id INTEGER,
    service_account_id INTEGER,
    actor VARCHAR(255),
    ip_address VARCHAR(64),
    user_agent TEXT,
    details JSONB NOT NULL DEFAULT '{}',
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auth_audit_events_client_time ON auth_audit_events (client_id, occurred_at);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['roles', 'role_permissions', 'user_roles', 'service_accounts', 'refresh_tokens',
                  'auth_audit_events']) AS t;

-- Before any client scope exists, the token endpoint must learn which client a service
-- account or refresh token belongs to. These owner-run lookups reveal only that id.
CREATE POLICY owner_lookup ON service_accounts FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_lookup ON refresh_tokens FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION pulse_client_id_for_service_account(key text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT client_id FROM service_accounts WHERE account_key = key $$;

CREATE FUNCTION pulse_client_id_for_refresh_token(hash bytea) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT client_id FROM refresh_tokens WHERE token_hash = hash $$;

CREATE TRIGGER roles_touch BEFORE UPDATE ON roles FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER role_permissions_touch BEFORE UPDATE ON role_permissions FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER user_roles_touch BEFORE UPDATE ON user_roles FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER service_accounts_touch BEFORE UPDATE ON service_accounts FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER signing_keys_touch BEFORE UPDATE ON signing_keys FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER refresh_tokens_touch BEFORE UPDATE ON refresh_tokens FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER auth_audit_events_touch BEFORE UPDATE ON auth_audit_events FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
