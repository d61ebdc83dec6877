-- OIDC sign-in per client (F-AUTH-OIDC): the provider of each client (client secret sealed
-- with AES-256-GCM by the auth service, never stored in clear), pending logins (state,
-- nonce, PKCE verifier; single use, short-lived, bound to the browser by a cookie), and the
-- link between a provider identity (issuer, subject) and a user of the client.

CREATE TABLE oidc_providers (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL UNIQUE REFERENCES clients(id),
    issuer TEXT NOT NULL,
    oauth_client_id VARCHAR(255) NOT NULL,
    -- v1.<base64url(nonce ‖ ciphertext ‖ tag)>, associated data binds it to client and issuer.
    client_secret_encrypted TEXT NOT NULL,
    token_endpoint_auth_method VARCHAR(30) NOT NULL DEFAULT 'client_secret_basic'
        CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post')),
    redirect_uri TEXT NOT NULL,
    scopes VARCHAR(255) NOT NULL DEFAULT 'openid email profile',
    default_role VARCHAR(100),
    -- Empty: any email domain. Otherwise the id_token's email must be in one of these.
    allowed_email_domains TEXT[] NOT NULL DEFAULT '{}',
    -- Link a first OIDC sign-in to an existing local account with the same email only when
    -- this is set AND the provider says email_verified.
    link_verified_email BOOLEAN NOT NULL DEFAULT FALSE,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE oidc_login_states (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    -- SHA-256 of the HttpOnly cookie value that binds the login to one browser.
    browser_hash BYTEA NOT NULL UNIQUE,
    state_hash BYTEA NOT NULL,               -- SHA-256 of the state sent to the provider
    nonce TEXT NOT NULL,
    code_verifier_encrypted TEXT NOT NULL,   -- sealed like the client secret
    redirect_uri TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX oidc_login_states_expiry ON oidc_login_states (expires_at);

CREATE TABLE user_identities (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    user_id INTEGER NOT NULL,
    issuer TEXT NOT NULL,
    subject VARCHAR(255) NOT NULL,
    email VARCHAR(255),
    last_login_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, user_id) REFERENCES users (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, issuer, subject)
);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['oidc_providers', 'oidc_login_states', 'user_identities']) AS t;

-- The callback learns the tenant of a pending login from the browser cookie's hash only.
CREATE POLICY owner_lookup ON oidc_login_states FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION pulse_client_id_for_oidc_login(hash bytea) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT client_id FROM oidc_login_states WHERE browser_hash = hash $$;

CREATE TRIGGER oidc_providers_touch BEFORE UPDATE ON oidc_providers FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER oidc_login_states_touch BEFORE UPDATE ON oidc_login_states FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER user_identities_touch BEFORE UPDATE ON user_identities FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
