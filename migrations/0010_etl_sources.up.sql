-- What the Jira and GitHub connectors store beyond the foundation tables: workflow runs
-- (deploy workflows become deployments in the DORA facts, per the client's settings),
-- releases, GitHub's commit -> PR association, sprints, and the source fields the
-- incremental syncs and the DORA engine read. The connectors write raw facts only;
-- everything derived (production deployments, changes, incidents, failures) is the
-- analytics engine's.

-- Runs of GitHub Actions workflows on any branch, as listed by /actions/runs.
CREATE TABLE workflow_runs (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    external_id BIGINT NOT NULL,
    workflow_id BIGINT,
    name TEXT,
    -- The workflow file, e.g. .github/workflows/deploy.yml (what DORA settings name).
    path TEXT,
    head_branch VARCHAR(255),
    head_sha CHAR(40) NOT NULL,
    event VARCHAR(50),
    status VARCHAR(30),
    conclusion VARCHAR(30),
    run_attempt INTEGER NOT NULL DEFAULT 1,
    url TEXT,
    run_started_at TIMESTAMPTZ,
    source_created_at TIMESTAMPTZ NOT NULL,
    source_updated_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, repository_id, external_id),
    UNIQUE (client_id, id)
);
CREATE INDEX workflow_runs_repo_path ON workflow_runs (client_id, repository_id, path, source_updated_at);

CREATE TABLE releases (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    external_id BIGINT NOT NULL,
    tag_name VARCHAR(255) NOT NULL,
    name TEXT,
    target_commitish VARCHAR(255),
    draft BOOLEAN NOT NULL DEFAULT FALSE,
    prerelease BOOLEAN NOT NULL DEFAULT FALSE,
    author VARCHAR(255),
    source_created_at TIMESTAMPTZ NOT NULL,
    published_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, repository_id, external_id)
);

-- GitHub's commit -> PR association (GET /repos/{o}/{r}/commits/{sha}/pulls) for commits on
-- the default branch: it tells a rebase-merged copy (new sha, same PR) from a direct push.
-- A default-branch commit with no row here and no PR whose merge_commit_sha it is, is a
-- direct push.
CREATE TABLE commit_pull_requests (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    sha CHAR(40) NOT NULL,
    pr_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, repository_id, sha, pr_id),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE
);
CREATE INDEX commit_pull_requests_pr ON commit_pull_requests (client_id, pr_id);

-- Jira Software sprints (Agile API) and which work items each held.
CREATE TABLE sprints (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    project_id INTEGER,
    external_id VARCHAR(255) NOT NULL,
    board_external_id VARCHAR(255),
    name VARCHAR(255) NOT NULL,
    state VARCHAR(20) NOT NULL,
    goal TEXT,
    start_at TIMESTAMPTZ,
    end_at TIMESTAMPTZ,
    complete_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    FOREIGN KEY (client_id, project_id) REFERENCES projects (client_id, id),
    UNIQUE (client_id, integration_id, external_id),
    UNIQUE (client_id, id)
);

CREATE TABLE sprint_work_items (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    sprint_id INTEGER NOT NULL,
    work_item_id BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, sprint_id, work_item_id),
    FOREIGN KEY (client_id, sprint_id) REFERENCES sprints (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, work_item_id) REFERENCES work_items (client_id, id) ON DELETE CASCADE
);

-- Source fields the syncs and the DORA engine read.
ALTER TABLE repositories
    ADD COLUMN source_updated_at TIMESTAMPTZ,
    ADD COLUMN pushed_at TIMESTAMPTZ;
ALTER TABLE prs
    ADD COLUMN source_updated_at TIMESTAMPTZ,
    ADD COLUMN commits_count INTEGER,
    ADD COLUMN review_comments_count INTEGER,
    ADD COLUMN merged_by VARCHAR(255);
ALTER TABLE work_items
    -- The tracker's own category of the current status (Jira: new / indeterminate / done).
    ADD COLUMN status_category VARCHAR(50);
ALTER TABLE changelogs
    ADD COLUMN from_id VARCHAR(255),
    ADD COLUMN to_id VARCHAR(255);
ALTER TABLE incidents
    -- What the incident names, as the source wrote it (a deployment URL or id from the
    -- integration's configured field; owner/repo from its repository field), before the
    -- analytics engine resolves it into incident_links and repository_id.
    ADD COLUMN deployment_reference TEXT,
    ADD COLUMN repository_reference VARCHAR(255),
    ADD COLUMN source_updated_at TIMESTAMPTZ;

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['workflow_runs', 'releases', 'commit_pull_requests', 'sprints', 'sprint_work_items']) AS t;

CREATE TRIGGER workflow_runs_touch BEFORE UPDATE ON workflow_runs FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER releases_touch BEFORE UPDATE ON releases FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER commit_pull_requests_touch BEFORE UPDATE ON commit_pull_requests FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER sprints_touch BEFORE UPDATE ON sprints FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER sprint_work_items_touch BEFORE UPDATE ON sprint_work_items FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
