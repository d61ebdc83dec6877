DROP TABLE IF EXISTS github_sync_watermarks;
DROP TABLE IF EXISTS github_http_cache;
