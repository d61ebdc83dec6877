-- Development and delivery (GitHub and push API): repositories, the commit graph, pull
-- requests with reviews, commits and comments, deployments with statuses, deploy workflow
-- runs, incidents, and the links DORA needs (PR ↔ commit ↔ deployment ↔ incident).

CREATE TABLE repositories (
    id SERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    integration_id INTEGER,
    project_id INTEGER,
    external_id VARCHAR(255),
    full_name VARCHAR(255) NOT NULL,          -- owner/repo
    default_branch VARCHAR(255) NOT NULL DEFAULT 'main',
    url TEXT,
    -- Workflow file names whose successful default-branch runs count as deployments.
    deploy_workflows TEXT[] NOT NULL DEFAULT '{}',
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, integration_id) REFERENCES integrations (client_id, id),
    FOREIGN KEY (client_id, project_id) REFERENCES projects (client_id, id),
    UNIQUE (client_id, full_name),
    UNIQUE (client_id, id)
);

CREATE TABLE commits (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    sha CHAR(40) NOT NULL CHECK (sha ~ '^[0-9a-f]{40}$'),
    message TEXT,
    author_name VARCHAR(255),
    author_email VARCHAR(255),
    authored_at TIMESTAMPTZ,
    committed_at TIMESTAMPTZ,
    -- Reached the default branch (directly or via a PR).
    on_default_branch BOOLEAN NOT NULL DEFAULT FALSE,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, repository_id, sha),
    UNIQUE (client_id, id)
);
CREATE INDEX commits_repo_time ON commits (client_id, repository_id, committed_at);

-- Commit graph edges for "is an ancestor of the deployed sha".
CREATE TABLE commit_parents (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    sha CHAR(40) NOT NULL,
    parent_sha CHAR(40) NOT NULL,
    position SMALLINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, repository_id, sha, parent_sha),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE
);
CREATE INDEX commit_parents_parent ON commit_parents (client_id, repository_id, parent_sha);

CREATE TABLE prs (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    external_id VARCHAR(255),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    body TEXT,
    author VARCHAR(255),
    state VARCHAR(20) NOT NULL CHECK (state IN ('open', 'closed', 'merged')),
    base_branch VARCHAR(255),
    head_branch VARCHAR(255),
    -- merge, squash or rebase; the commit that landed on the base branch (last one for rebase).
    merge_method VARCHAR(20),
    merge_commit_sha CHAR(40),
    labels TEXT[] NOT NULL DEFAULT '{}',
    additions INTEGER,
    deletions INTEGER,
    changed_files INTEGER,
    source_created_at TIMESTAMPTZ NOT NULL,
    first_review_at TIMESTAMPTZ,
    approved_at TIMESTAMPTZ,
    merged_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    embedding vector1536,
    embedding_model VARCHAR(100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, repository_id, number),
    UNIQUE (client_id, id)
);
CREATE INDEX prs_client_merged ON prs (client_id, merged_at) WHERE merged_at IS NOT NULL;
CREATE INDEX prs_repo_created ON prs (client_id, repository_id, source_created_at);
CREATE INDEX prs_merge_sha ON prs (client_id, repository_id, merge_commit_sha);

CREATE TABLE prs_reviews (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    pr_id BIGINT NOT NULL,
    external_id VARCHAR(255),
    reviewer VARCHAR(255),
    state VARCHAR(30) NOT NULL,
    body TEXT,
    submitted_at TIMESTAMPTZ NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, pr_id, external_id)
);
CREATE INDEX prs_reviews_pr ON prs_reviews (client_id, pr_id, submitted_at);

-- PR ↔ commit (GitHub's commit→PR association; tells rebase-merged copies apart).
CREATE TABLE prs_commits (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    pr_id BIGINT NOT NULL,
    commit_id BIGINT,
    sha CHAR(40) NOT NULL,
    author_name VARCHAR(255),
    authored_at TIMESTAMPTZ,
    message TEXT,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, commit_id) REFERENCES commits (client_id, id),
    UNIQUE (client_id, pr_id, sha)
);
CREATE INDEX prs_commits_sha ON prs_commits (client_id, sha);

CREATE TABLE prs_comments (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    pr_id BIGINT NOT NULL,
    external_id VARCHAR(255),
    author VARCHAR(255),
    body TEXT,
    path TEXT,
    commented_at TIMESTAMPTZ NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, pr_id, external_id)
);

-- Deployment attempts from GitHub deployments, deploy workflow runs or the push API.
CREATE TABLE deployments (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    repository_id INTEGER NOT NULL,
    source VARCHAR(20) NOT NULL CHECK (source IN ('github_deployment', 'workflow_run', 'push_api')),
    external_id VARCHAR(255),
    environment VARCHAR(255) NOT NULL,
    sha CHAR(40) NOT NULL,
    ref VARCHAR(255),
    url TEXT,
    -- Latest status (success, failure, error, in_progress...) and when the success status
    -- (or successful run) was created: the finish time DORA orders deployments by.
    status VARCHAR(30) NOT NULL DEFAULT 'pending',
    finished_at TIMESTAMPTZ,
    source_created_at TIMESTAMPTZ NOT NULL,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, source, external_id),
    UNIQUE (client_id, id)
);
CREATE INDEX deployments_repo_finished ON deployments (client_id, repository_id, finished_at)
    WHERE status = 'success';
CREATE INDEX deployments_client_finished ON deployments (client_id, finished_at);
CREATE INDEX deployments_sha ON deployments (client_id, repository_id, sha);

CREATE TABLE deployment_statuses (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    deployment_id BIGINT NOT NULL,
    external_id VARCHAR(255),
    state VARCHAR(30) NOT NULL,
    description TEXT,
    status_created_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, deployment_id) REFERENCES deployments (client_id, id) ON DELETE CASCADE,
    UNIQUE (client_id, deployment_id, external_id)
);
CREATE INDEX deployment_statuses_time ON deployment_statuses (client_id, deployment_id, status_created_at);

-- Which changes (PRs, or commits without a PR) a deployment shipped first; computed by
-- the DORA engine, kept so every figure drills down to its rows.
CREATE TABLE deployment_changes (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    deployment_id BIGINT NOT NULL,
    pr_id BIGINT,
    commit_id BIGINT,
    first_commit_at TIMESTAMPTZ,
    lead_time_seconds DOUBLE PRECISION,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, deployment_id) REFERENCES deployments (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, commit_id) REFERENCES commits (client_id, id) ON DELETE CASCADE,
    CHECK ((pr_id IS NULL) <> (commit_id IS NULL))
);
CREATE UNIQUE INDEX deployment_changes_pr ON deployment_changes (client_id, pr_id) WHERE pr_id IS NOT NULL;
CREATE UNIQUE INDEX deployment_changes_commit ON deployment_changes (client_id, commit_id) WHERE commit_id IS NOT NULL;
CREATE INDEX deployment_changes_deployment ON deployment_changes (client_id, deployment_id);

-- Incidents from Jira (type mapped to incident) or the push API.
CREATE TABLE incidents (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    source VARCHAR(20) NOT NULL CHECK (source IN ('jira', 'push_api')),
    work_item_id BIGINT,
    external_id VARCHAR(255) NOT NULL,
    repository_id INTEGER,
    title TEXT NOT NULL,
    description TEXT,
    severity VARCHAR(20),
    started_at TIMESTAMPTZ NOT NULL,
    resolved_at TIMESTAMPTZ,
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, work_item_id) REFERENCES work_items (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id),
    UNIQUE (client_id, source, external_id),
    UNIQUE (client_id, id)
);
CREATE INDEX incidents_repo_started ON incidents (client_id, repository_id, started_at);
CREATE INDEX incidents_client_started ON incidents (client_id, started_at);

-- What an incident names (deployment, PR or commit) or is attributed to, and why.
CREATE TABLE incident_links (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    incident_id BIGINT NOT NULL,
    deployment_id BIGINT,
    pr_id BIGINT,
    commit_id BIGINT,
    reason VARCHAR(30) NOT NULL CHECK (reason IN ('names_deployment', 'names_pr', 'names_commit', 'time_window')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (client_id, incident_id) REFERENCES incidents (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, deployment_id) REFERENCES deployments (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, pr_id) REFERENCES prs (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, commit_id) REFERENCES commits (client_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_links_incident ON incident_links (client_id, incident_id);
CREATE INDEX incident_links_deployment ON incident_links (client_id, deployment_id);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['repositories', 'commits', 'commit_parents', 'prs', 'prs_reviews', 'prs_commits',
                  'prs_comments', 'deployments', 'deployment_statuses', 'deployment_changes',
                  'incidents', 'incident_links']) AS t;

CREATE TRIGGER repositories_touch BEFORE UPDATE ON repositories FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER commits_touch BEFORE UPDATE ON commits FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER commit_parents_touch BEFORE UPDATE ON commit_parents FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER prs_touch BEFORE UPDATE ON prs FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER prs_reviews_touch BEFORE UPDATE ON prs_reviews FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER prs_commits_touch BEFORE UPDATE ON prs_commits FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER prs_comments_touch BEFORE UPDATE ON prs_comments FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER deployments_touch BEFORE UPDATE ON deployments FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER deployment_statuses_touch BEFORE UPDATE ON deployment_statuses FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER deployment_changes_touch BEFORE UPDATE ON deployment_changes FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER incidents_touch BEFORE UPDATE ON incidents FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER incident_links_touch BEFORE UPDATE ON incident_links FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
