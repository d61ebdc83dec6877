DROP FUNCTION IF EXISTS pulse_ai_active_clients();
DROP TABLE IF EXISTS ai_validation_findings;
DROP TABLE IF EXISTS ai_settings;
DROP TABLE IF EXISTS ai_documents;
ALTER TABLE incidents DROP COLUMN IF EXISTS embedding_model;
ALTER TABLE repositories DROP COLUMN IF EXISTS embedding_model;
ALTER TABLE projects DROP COLUMN IF EXISTS embedding_model;
