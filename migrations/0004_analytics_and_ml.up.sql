-- DORA benchmarks (global reference data, no tenant) and insights; the ML monitoring
-- tables exactly as the architecture seed defines them, with vector(1536) as vector1536.

CREATE TABLE dora_market_benchmarks (
    id SERIAL PRIMARY KEY,
    report_year INTEGER NOT NULL,
    metric VARCHAR(50) NOT NULL CHECK (metric IN ('deployment_frequency', 'lead_time', 'change_failure_rate',
                                                  'recovery_time', 'rework_rate')),
    tier VARCHAR(10) NOT NULL CHECK (tier IN ('elite', 'high', 'medium', 'low')),
    -- Band bounds in the metric's unit (days/week, seconds or ratio); NULL is open-ended.
    lower_bound DOUBLE PRECISION,
    upper_bound DOUBLE PRECISION,
    value_label TEXT,
    source TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (report_year, metric, tier)
);
CREATE TRIGGER dora_market_benchmarks_touch BEFORE UPDATE ON dora_market_benchmarks
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

CREATE TABLE dora_metric_insights (
    id BIGSERIAL PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    scope_type VARCHAR(20) NOT NULL CHECK (scope_type IN ('client', 'project', 'repository', 'team')),
    scope_id INTEGER,
    metric VARCHAR(50) NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    value DOUBLE PRECISION,
    tier VARCHAR(10),
    trend DOUBLE PRECISION,
    insight TEXT NOT NULL,
    details JSONB NOT NULL DEFAULT '{}',
    embedding vector1536,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX dora_metric_insights_scope ON dora_metric_insights (client_id, scope_type, scope_id, period_start);
CREATE TRIGGER dora_metric_insights_touch BEFORE UPDATE ON dora_metric_insights
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

-- AI Learning Memory - User feedback and corrections
CREATE TABLE ai_learning_memory (
    id SERIAL PRIMARY KEY,
    error_type VARCHAR(50) NOT NULL,
    user_intent TEXT NOT NULL,
    failed_query TEXT NOT NULL,
    specific_issue TEXT NOT NULL,
    corrected_query TEXT,
    user_feedback TEXT,
    user_correction TEXT,
    message_id VARCHAR(255),
    client_id INTEGER NOT NULL REFERENCES clients(id),
    created_at TIMESTAMP DEFAULT NOW(),
    last_updated_at TIMESTAMP DEFAULT NOW()
);

-- AI Predictions - ML model predictions and accuracy tracking
CREATE TABLE ai_predictions (
    id SERIAL PRIMARY KEY,
    model_name VARCHAR(100) NOT NULL,
    prediction_value FLOAT NOT NULL,
    input_features TEXT,
    actual_value FLOAT,
    accuracy_score FLOAT,
    prediction_type VARCHAR(50) NOT NULL,
    validated_at TIMESTAMP,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    embedding vector1536,
    created_at TIMESTAMP DEFAULT NOW(),
    last_updated_at TIMESTAMP DEFAULT NOW()
);

-- AI Performance Metrics - System performance monitoring
CREATE TABLE ai_performance_metrics (
    id SERIAL PRIMARY KEY,
    metric_name VARCHAR(100) NOT NULL,
    metric_value FLOAT NOT NULL,
    metric_unit VARCHAR(20),
    measurement_timestamp TIMESTAMP NOT NULL,
    context_data TEXT,
    service_name VARCHAR(50),
    client_id INTEGER NOT NULL REFERENCES clients(id),
    embedding vector1536,
    created_at TIMESTAMP DEFAULT NOW(),
    last_updated_at TIMESTAMP DEFAULT NOW()
);

-- ML Anomaly Alerts - Anomaly detection and alerting
CREATE TABLE ml_anomaly_alert (
    id SERIAL PRIMARY KEY,
    model_name VARCHAR(100) NOT NULL,
    severity VARCHAR(20) NOT NULL,
    alert_data JSONB NOT NULL,
    acknowledged BOOLEAN DEFAULT FALSE,
    acknowledged_by INTEGER,
    acknowledged_at TIMESTAMP,
    client_id INTEGER NOT NULL REFERENCES clients(id),
    embedding vector1536,
    created_at TIMESTAMP DEFAULT NOW(),
    last_updated_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX ai_learning_memory_client_time ON ai_learning_memory (client_id, created_at);
CREATE INDEX ai_predictions_client_time ON ai_predictions (client_id, created_at);
CREATE INDEX ai_performance_metrics_client_time ON ai_performance_metrics (client_id, measurement_timestamp);
CREATE INDEX ml_anomaly_alert_client_time ON ml_anomaly_alert (client_id, created_at);

SELECT pulse_enable_tenant_rls(t::regclass)
FROM unnest(ARRAY['dora_metric_insights', 'ai_learning_memory', 'ai_predictions',
                  'ai_performance_metrics', 'ml_anomaly_alert']) AS t;

CREATE TRIGGER ai_learning_memory_touch BEFORE UPDATE ON ai_learning_memory
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_last_updated_at();
CREATE TRIGGER ai_predictions_touch BEFORE UPDATE ON ai_predictions
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_last_updated_at();
CREATE TRIGGER ai_performance_metrics_touch BEFORE UPDATE ON ai_performance_metrics
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_last_updated_at();
CREATE TRIGGER ml_anomaly_alert_touch BEFORE UPDATE ON ml_anomaly_alert
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_last_updated_at();
