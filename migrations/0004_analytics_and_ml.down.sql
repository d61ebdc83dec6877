DROP TABLE ml_anomaly_alert, ai_performance_metrics, ai_predictions, ai_learning_memory,
    dora_metric_insights, dora_market_benchmarks;
