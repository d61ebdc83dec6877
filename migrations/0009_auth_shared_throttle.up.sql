-- Login throttling shared by every auth process: one counter per account (tenant + email)
-- and per source address, keyed by SHA-256 so no email or address is stored in clear. Global
-- like signing_keys (an address counter spans tenants); the auth service is its only user.
CREATE TABLE auth_throttle_counters (
    dimension VARCHAR(10) NOT NULL CHECK (dimension IN ('account', 'address')),
    key_hash BYTEA NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    last_failure_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (dimension, key_hash)
);
CREATE INDEX auth_throttle_counters_last_failure ON auth_throttle_counters (last_failure_at);
CREATE TRIGGER auth_throttle_counters_touch BEFORE UPDATE ON auth_throttle_counters
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
