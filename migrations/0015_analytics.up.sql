-- Analytics (issue 14): DORA benchmark bands by report year, and the delivery facts the DORA
-- engine derives from the connectors' raw tables (so a query never walks the commit graph).
-- deployment_changes, incidents and incident_links (0003) are reused; this adds per-deployment
-- facts, incident attributions with the reason for none, and the recomputation state.

-- Bands of docs/dora-benchmarks.md. Units: deployment_frequency lower bounds in deployment days
-- per week (medium: the average, one deployment day per 30 days = 7/30); durations in seconds
-- and rates as fractions, upper bounds (durations compared with <, rates with <=; NULL = open);
-- a metric whose four bands have lower = upper is a set of point values (nearest wins).
INSERT INTO dora_market_benchmarks (report_year, metric, tier, lower_bound, upper_bound, value_label, source) VALUES
    (2019, 'deployment_frequency', 'elite', 5.0, NULL, 'On-demand (multiple deploys per day)', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'deployment_frequency', 'high', 1.0, NULL, 'Between once per day and once per week', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'deployment_frequency', 'medium', 7.0/30.0, NULL, 'Between once per week and once per month', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'deployment_frequency', 'low', 0.0, NULL, 'Between once per month and once every six months', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'lead_time', 'elite', 0.0, 86400.0, 'Less than one day', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'lead_time', 'high', 86400.0, 604800.0, 'Between one day and one week', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'lead_time', 'medium', 604800.0, 2592000.0, 'Between one week and one month', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'lead_time', 'low', 2592000.0, NULL, 'Between one month and six months', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'recovery_time', 'elite', 0.0, 3600.0, 'Less than one hour', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'recovery_time', 'high', 3600.0, 86400.0, 'Less than one day', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'recovery_time', 'medium', 86400.0, 604800.0, 'Less than one day (read as: less than one week, the low band''s lower edge)', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'recovery_time', 'low', 604800.0, NULL, 'Between one week and one month', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'change_failure_rate', 'elite', 0.0, 0.15, '0-15%', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'change_failure_rate', 'high', 0.15, 0.15, '0-15%', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'change_failure_rate', 'medium', 0.15, 0.15, '0-15%', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2019, 'change_failure_rate', 'low', 0.15, NULL, '46-60%', 'DORA 2019 Accelerate State of DevOps report, research/2019/dora-report/2019-dora-accelerate-state-of-devops-report.pdf (dora.dev repo), table ''Aspect of Software Delivery Performance'''),
    (2021, 'deployment_frequency', 'elite', 5.0, NULL, 'On-demand (multiple deploys per day)', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'deployment_frequency', 'high', 1.0, NULL, 'Between once per week and once per month', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'deployment_frequency', 'medium', 7.0/30.0, NULL, 'Between once per month and once every 6 months', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'deployment_frequency', 'low', 0.0, NULL, 'Fewer than once per six months', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'lead_time', 'elite', 0.0, 3600.0, 'Less than one hour', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'lead_time', 'high', 3600.0, 604800.0, 'Between one day and one week', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'lead_time', 'medium', 604800.0, 15552000.0, 'Between one month and six months', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'lead_time', 'low', 15552000.0, NULL, 'More than six months', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'recovery_time', 'elite', 0.0, 3600.0, 'Less than one hour', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'recovery_time', 'high', 3600.0, 86400.0, 'Less than one day', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'recovery_time', 'medium', 86400.0, 604800.0, 'Between one day and one week', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'recovery_time', 'low', 604800.0, NULL, 'More than six months', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'change_failure_rate', 'elite', 0.0, 0.15, '0-15%', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'change_failure_rate', 'high', 0.15, 0.3, '16-30%', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'change_failure_rate', 'medium', 0.3, 0.3, '16-30%', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2021, 'change_failure_rate', 'low', 0.3, NULL, '16-30% (above 30% read as low)', 'DORA 2021 Accelerate State of DevOps report, research/2021/dora-report/2021-dora-accelerate-state-of-devops-report.pdf (dora.dev repo)'),
    (2023, 'deployment_frequency', 'elite', 5.0, NULL, 'On-demand', 'DORA 2023 report infographic, research/2023/2023-DORA-Report-Infographic.v10.pdf (''Top performers'')'),
    (2023, 'deployment_frequency', 'high', 1.0, NULL, 'Between once per day and once per week', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'deployment_frequency', 'medium', 7.0/30.0, NULL, 'Between once per week and once per month', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'deployment_frequency', 'low', 0.0, NULL, 'Fewer than once per month', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'lead_time', 'elite', 0.0, 86400.0, 'Less than one day', 'DORA 2023 report infographic, research/2023/2023-DORA-Report-Infographic.v10.pdf (''Top performers'')'),
    (2023, 'lead_time', 'high', 86400.0, 604800.0, 'Between one day and one week', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'lead_time', 'medium', 604800.0, 2592000.0, 'Between one week and one month', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'lead_time', 'low', 2592000.0, NULL, 'More than one month', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'recovery_time', 'elite', 0.0, 3600.0, 'Less than one hour', 'DORA 2023 report infographic, research/2023/2023-DORA-Report-Infographic.v10.pdf (''Top performers'')'),
    (2023, 'recovery_time', 'high', 3600.0, 86400.0, 'Less than one day', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'recovery_time', 'medium', 86400.0, 604800.0, 'Between one day and one week', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'recovery_time', 'low', 604800.0, NULL, 'More than one week', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'change_failure_rate', 'elite', 0.0, 0.05, '0-5%', 'DORA 2023 report infographic, research/2023/2023-DORA-Report-Infographic.v10.pdf (''Top performers'')'),
    (2023, 'change_failure_rate', 'high', 0.05, 0.1, '5-10%', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'change_failure_rate', 'medium', 0.1, 0.15, '10-15%', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2023, 'change_failure_rate', 'low', 0.15, NULL, 'More than 15% (64%)', '[secondary] Apache DevLake docs/Metrics/CFR.md and docs/Metrics/FailedDeploymentRecoveryTime.md (''2023 DORA benchmarks''); DevLake migration 20240223_add_dora_2023_benchmark.go'),
    (2024, 'deployment_frequency', 'elite', 5.0, NULL, 'On demand', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'deployment_frequency', 'high', 1.0, NULL, 'Between once per day and once per week', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'deployment_frequency', 'medium', 7.0/30.0, NULL, 'Between once per week and once per month', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'deployment_frequency', 'low', 0.0, NULL, 'Between once per month and once every six months', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'lead_time', 'elite', 0.0, 86400.0, 'Less than one day', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'lead_time', 'high', 86400.0, 604800.0, 'Between one day and one week', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'lead_time', 'medium', 604800.0, 2592000.0, 'Between one week and one month', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'lead_time', 'low', 2592000.0, NULL, 'Between one month and six months', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'recovery_time', 'elite', 0.0, 3600.0, 'Less than one hour', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'recovery_time', 'high', 3600.0, 86400.0, 'Less than one day', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'recovery_time', 'medium', 86400.0, 604800.0, 'Less than one day (one source: one day to one week)', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'recovery_time', 'low', 604800.0, NULL, 'Between one week and one month (one source: more than one week)', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'change_failure_rate', 'elite', 0.05, 0.05, '5%', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'change_failure_rate', 'high', 0.2, 0.2, '20%', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'change_failure_rate', 'medium', 0.1, 0.1, '10%', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)'),
    (2024, 'change_failure_rate', 'low', 0.4, 0.4, '40%', '[secondary] three public transcriptions of the DORA 2024 Accelerate State of DevOps report (PDF not available)')
ON CONFLICT (report_year, metric, tier) DO UPDATE
    SET lower_bound = EXCLUDED.lower_bound, upper_bound = EXCLUDED.upper_bound,
        value_label = EXCLUDED.value_label, source = EXCLUDED.source;

-- One row per production deployment (per the client's DORA settings), in finish order per
-- repository, with everything derived about it.
CREATE TABLE dora_deployments (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    deployment_id BIGINT NOT NULL,
    repository_id INTEGER NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    previous_deployment_id BIGINT,
    first_ever BOOLEAN NOT NULL DEFAULT FALSE,
    failed BOOLEAN NOT NULL DEFAULT FALSE,
    failure_reason VARCHAR(40) CHECK (failure_reason IN ('incident_names_deployment', 'incident_names_pr',
        'incident_names_commit', 'incident_window', 'rollback', 'hotfix', 'revert')),
    incident_ids BIGINT[] NOT NULL DEFAULT '{}',
    restored_by_deployment_id BIGINT,
    recovery_seconds DOUBLE PRECISION,
    is_rework BOOLEAN NOT NULL DEFAULT FALSE,
    restore_kind VARCHAR(20) CHECK (restore_kind IN ('rollback', 'hotfix', 'revert')),
    restores BIGINT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, deployment_id),
    FOREIGN KEY (client_id, deployment_id) REFERENCES deployments (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, repository_id) REFERENCES repositories (client_id, id) ON DELETE CASCADE
);
CREATE INDEX dora_deployments_finished ON dora_deployments (client_id, finished_at);
CREATE INDEX dora_deployments_repo_finished ON dora_deployments (client_id, repository_id, finished_at);
CREATE INDEX deployment_changes_client_deployment_lead ON deployment_changes (client_id, deployment_id) INCLUDE (lead_time_seconds);

-- What each incident was attributed to and by which rule, or why nothing.
CREATE TABLE dora_incident_attributions (
    client_id INTEGER NOT NULL REFERENCES clients(id),
    incident_id BIGINT NOT NULL,
    repository_id INTEGER,
    deployment_id BIGINT,
    rule VARCHAR(30) CHECK (rule IN ('names_deployment', 'names_pr', 'names_commit', 'time_window')),
    pr_id BIGINT,
    commit_sha CHAR(40),
    unattributed_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, incident_id),
    FOREIGN KEY (client_id, incident_id) REFERENCES incidents (client_id, id) ON DELETE CASCADE,
    FOREIGN KEY (client_id, deployment_id) REFERENCES deployments (client_id, id) ON DELETE CASCADE
);

-- Per client: when the facts were last derived, and whether a recomputation is under way.
CREATE TABLE dora_recompute_state (
    client_id INTEGER PRIMARY KEY REFERENCES clients(id),
    computed_at TIMESTAMPTZ,
    recomputing BOOLEAN NOT NULL DEFAULT FALSE,
    pending_jobs INTEGER NOT NULL DEFAULT 0,
    last_duration_ms DOUBLE PRECISION,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['dora_deployments', 'dora_incident_attributions', 'dora_recompute_state']) AS t;

CREATE TRIGGER dora_deployments_touch BEFORE UPDATE ON dora_deployments FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER dora_incident_attributions_touch BEFORE UPDATE ON dora_incident_attributions FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
CREATE TRIGGER dora_recompute_state_touch BEFORE UPDATE ON dora_recompute_state FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();
