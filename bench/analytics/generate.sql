-- Generated client for the analytics benchmark (bench/analytics/run.sh), written straight into
-- PostgreSQL by set-returning INSERTs (server-side, like COPY: no client round trips).
-- :client, :repos, :commits_per_repo, :prs_per_repo, :deploys_per_repo, :items, :changes_per_item
-- are psql variables. Commits form one chain per repository; every 4th commit is a squash
-- merge of a PR; deployments ship every Nth commit; 1 % of work items are incidents.
\set ON_ERROR_STOP on
-- Skip the touch triggers during the bulk load (superuser).
SET session_replication_role = replica;
INSERT INTO repositories (client_id, full_name, default_branch)
SELECT :client, 'bench/repo-' || r, 'main' FROM generate_series(1, :repos) r;
CREATE TEMP TABLE bench_repos AS SELECT id, full_name, row_number() OVER (ORDER BY id) AS n FROM repositories WHERE client_id = :client;
CREATE OR REPLACE FUNCTION pg_temp.sha(repo int, i int) RETURNS char(40) LANGUAGE sql IMMUTABLE AS
$$ SELECT md5(repo || ':' || i) || substr(md5(i || ':' || repo), 1, 8) $$;
INSERT INTO commits (client_id, repository_id, sha, authored_at, committed_at, on_default_branch)
SELECT :client, r.id, pg_temp.sha(r.id, i), now() - interval '365 days' + i * (interval '365 days' / :commits_per_repo),
       now() - interval '365 days' + i * (interval '365 days' / :commits_per_repo), TRUE
FROM bench_repos r, generate_series(1, :commits_per_repo) i;
INSERT INTO commit_parents (client_id, repository_id, sha, parent_sha, position)
SELECT :client, r.id, pg_temp.sha(r.id, i), pg_temp.sha(r.id, i - 1), 0 FROM bench_repos r, generate_series(2, :commits_per_repo) i;
INSERT INTO prs (client_id, repository_id, number, title, author, state, base_branch, merge_method, merge_commit_sha, labels,
                 additions, deletions, source_created_at, first_review_at, merged_at, closed_at)
SELECT :client, r.id, k, 'PR ' || k, 'dev' || (k % 37), 'merged', 'main', 'squash', pg_temp.sha(r.id, 4 * k),
       CASE WHEN k % 50 = 0 THEN ARRAY['hotfix'] ELSE '{}' END, 10 + k % 300, k % 120,
       c.authored_at - interval '20 hours', c.authored_at - interval '10 hours', c.authored_at, c.authored_at
FROM bench_repos r, generate_series(1, :prs_per_repo) k
JOIN LATERAL (SELECT authored_at FROM commits WHERE client_id = :client AND repository_id = r.id AND sha = pg_temp.sha(r.id, 4 * k)) c ON TRUE;
INSERT INTO prs_commits (client_id, pr_id, sha, authored_at)
SELECT :client, p.id, md5('pr' || p.id) || '00000000', p.source_created_at - interval '30 hours' FROM prs p WHERE p.client_id = :client;
INSERT INTO commit_pull_requests (client_id, repository_id, sha, pr_id)
SELECT :client, p.repository_id, p.merge_commit_sha, p.id FROM prs p WHERE p.client_id = :client;
INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, status, finished_at, source_created_at)
SELECT :client, r.id, 'github_deployment', r.id || '-' || j, CASE WHEN j % 10 = 0 THEN 'staging' ELSE 'production' END,
       pg_temp.sha(r.id, j * (:commits_per_repo / :deploys_per_repo)), 'success',
       c.authored_at + interval '1 hour', c.authored_at + interval '50 minutes'
FROM bench_repos r, generate_series(1, :deploys_per_repo) j
JOIN LATERAL (SELECT authored_at FROM commits WHERE client_id = :client AND repository_id = r.id
              AND sha = pg_temp.sha(r.id, j * (:commits_per_repo / :deploys_per_repo))) c ON TRUE;
INSERT INTO deployment_statuses (client_id, deployment_id, external_id, state, status_created_at)
SELECT :client, d.id, d.external_id, 'success', d.finished_at FROM deployments d WHERE d.client_id = :client;
INSERT INTO projects (client_id, key, name) SELECT :client, 'P' || p, 'Project ' || p FROM generate_series(1, 10) p;
UPDATE repositories r SET project_id = (SELECT id FROM projects WHERE client_id = :client AND key = 'P' || (1 + (b.n % 10)))
FROM bench_repos b WHERE r.id = b.id;
INSERT INTO wits_mappings (client_id, wit_from, wit_to) VALUES (:client, 'Incident', 'incident'), (:client, 'Story', 'story'), (:client, 'Bug', 'bug');
INSERT INTO status_mappings (client_id, status_from, status_to) VALUES (:client, 'To Do', 'to_do'), (:client, 'In Progress', 'in_progress'),
    (:client, 'Review', 'in_progress'), (:client, 'Done', 'done');
INSERT INTO work_items (client_id, project_id, key, summary, wit_name, status_name, components, source_created_at)
SELECT :client, (SELECT id FROM projects WHERE client_id = :client AND key = 'P' || (1 + i % 10)), 'W-' || i, 'Item ' || i,
       CASE WHEN i % 100 = 0 THEN 'Incident' WHEN i % 5 = 0 THEN 'Bug' ELSE 'Story' END,
       CASE WHEN i % 7 = 0 THEN 'In Progress' ELSE 'Done' END, ARRAY['bench/repo-' || (1 + i % :repos)],
       now() - interval '365 days' + i * (interval '360 days' / :items)
FROM generate_series(1, :items) i;
INSERT INTO changelogs (client_id, work_item_id, external_id, field, from_value, to_value, changed_at)
SELECT :client, w.id, w.id || '-' || s, 'status',
       (ARRAY['To Do', 'In Progress', 'Review', 'In Progress', 'Review', 'Done', 'In Progress', 'Review', 'In Progress', 'Review'])[s],
       (ARRAY['In Progress', 'Review', 'In Progress', 'Review', 'Done', 'In Progress', 'Review', 'In Progress', 'Review', 'Done'])[s],
       w.source_created_at + s * interval '5 hours'
FROM work_items w, generate_series(1, :changes_per_item) s WHERE w.client_id = :client;
SET session_replication_role = origin;
ANALYZE;
