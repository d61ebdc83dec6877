-- GitHub connector state: ETags per URL (with the body and Link they came with, so a
-- 304 Not Modified is answered from here) and the incremental watermarks per repository
-- and endpoint. Both per integration, in the tenant's scope.

CREATE TABLE github_http_cache (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    etag TEXT NOT NULL,
    link TEXT,
    body BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, integration_id, url),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE
);

-- Where the last finished sync of an endpoint of a repository began (the next incremental
-- run re-reads from here minus the overlap).
CREATE TABLE github_sync_watermarks (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER NOT NULL,
    repository_id INTEGER NOT NULL,
    endpoint VARCHAR(50) NOT NULL,
    watermark TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, integration_id, repository_id, endpoint),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE
);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['github_http_cache', 'github_sync_watermarks']) AS t;

CREATE TRIGGER github_http_cache_touch BEFORE UPDATE ON github_http_cache FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER github_sync_watermarks_touch BEFORE UPDATE ON github_sync_watermarks FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
