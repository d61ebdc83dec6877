DROP TABLE dora_recompute_state;
DROP TABLE dora_incident_attributions;
DROP INDEX deployment_changes_client_deployment_lead;
DROP TABLE dora_deployments;
DELETE FROM dora_market_benchmarks WHERE report_year IN (2019, 2021, 2023, 2024);
