/// Every key Pulse reads. `docs/configuration.md` lists exactly these (a test checks both ways);
/// reading a key that is not here is a programming error.
public enum ConfigKeys {
    /// Log levels in swift-log's spelling.
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    static let shared: [ConfigKey] = [
        ConfigKey("paths.state_dir", .string, default: .string(".pulse"),
                  "Where `pulse up` keeps its state file, pid and per-service logs (`<state_dir>/logs`)."),
        ConfigKey("paths.data_dir", .string, default: .string(".pulse/data"),
                  "Where services keep local data (vector snapshots, models, embedded PostgreSQL)."),
        ConfigKey("log.level", .choice(logLevels), default: .string("info"),
                  "Lowest level written, for every service unless `<service>.log_level` overrides it."),
        ConfigKey("log.color", .choice(["auto", "always", "never"]), default: .string("auto"),
                  "ANSI colour: `auto` colours only when stdout is a terminal and `NO_COLOR` is unset."),
        ConfigKey("log.client_dir", .string, default: .string(""),
                  "Folder for per-client log files (`<client>.log`); empty turns them off."),
        ConfigKey("log.access", .bool, default: .bool(true),
                  "Write one `[HTTP] Request` line per request (method, path, status, duration, bytes, request id)."),
        ConfigKey("database.primary_url", .string, default: .string(""),
                  "libpq connection URI of the primary (writes, read-your-writes); empty means no database. `DATABASE_URL` overrides it."),
        ConfigKey("database.replica_url", .string, default: .string(""),
                  "libpq connection URI of the replica (analytics reads); empty means use the primary. `DATABASE_REPLICA_URL` overrides it."),
        ConfigKey("http.max_connections", .integer(1...1_000_000), default: .integer(10_000),
                  "Open connections per service; beyond it new connections get 503 and are closed."),
        ConfigKey("http.shutdown_timeout", .float(0...60), default: .float(4),
                  "Seconds in-flight requests may take to finish after SIGTERM before connections are closed."),
        ConfigKey("supervisor.restart_initial_delay", .float(0.01...60), default: .float(0.5),
                  "Seconds `pulse up` waits before restarting a crashed service the first time."),
        ConfigKey("supervisor.restart_max_delay", .float(0.01...3600), default: .float(30),
                  "Upper bound of the doubling restart delay."),
        ConfigKey("supervisor.stable_after", .float(0.1...3600), default: .float(10),
                  "A service that ran this many seconds counts as healthy again: its restart delay resets."),
        ConfigKey("supervisor.stop_timeout", .float(0.1...300), default: .float(10),
                  "Seconds `pulse down` and `pulse up` shutdown wait after SIGTERM before SIGKILL."),
    ]

    static func serviceKeys(_ service: ServiceName) -> [ConfigKey] {
        let s = service.rawValue
        return [
            ConfigKey("\(s).host", .string, default: .string("127.0.0.1"),
                      "Address the \(service.displayName) listens on (`0.0.0.0` for all interfaces)."),
            ConfigKey("\(s).port", .integer(0...65_535), default: .integer(service.defaultPort),
                      "TCP port of the \(service.displayName); 0 picks a free port."),
            ConfigKey("\(s).log_level", .choice([""] + logLevels), default: .string(""),
                      "Log level of the \(service.displayName); empty uses `log.level`."),
        ]
    }

    /// The auth service's own keys (issue 4). Each is also read from its older `AUTH_*`
    /// environment variable, which wins when set (as `DATABASE_URL` does).
    static let authKeys: [ConfigKey] = [
        ConfigKey("auth.key_encryption_key", .string, default: .string(""),
                  "Secret. AES-256-GCM key sealing signing keys and OIDC client secrets at rest: 64 hex digits or 43 base64url characters; required. `AUTH_KEY_ENCRYPTION_KEY` overrides it."),
        ConfigKey("auth.issuer", .string, default: .string(""),
                  "`iss` of access tokens and base of the discovery URLs; empty means `http://<auth.host>:<auth.port>`. `AUTH_ISSUER` overrides it."),
        ConfigKey("auth.audience", .string, default: .string("pulse"),
                  "`aud` of access tokens (every Pulse service accepts it). `AUTH_AUDIENCE` overrides it."),
        ConfigKey("auth.access_token_lifetime", .integer(1...3600), default: .integer(900),
                  "Access-token lifetime in seconds. `AUTH_ACCESS_TOKEN_LIFETIME` overrides it."),
        ConfigKey("auth.cookie_secure", .bool, default: .bool(false),
                  "Always mark the session cookie `Secure` (it is also set per request behind TLS). `AUTH_COOKIE_SECURE` overrides it."),
        ConfigKey("auth.csrf_key", .string, default: .string(""),
                  "Secret. 32-byte key of the CSRF tokens, shared by every service behind the gateway; empty derives one from the key-encryption key. `AUTH_CSRF_KEY` overrides it."),
        ConfigKey("auth.trusted_proxies", .string, default: .string(""),
                  "Comma-separated peer addresses (the gateway's) whose `X-Forwarded-For` / `Forwarded` pulse-auth believes when throttling and auditing sign-ins; empty believes none (`pulse up` then sets `127.0.0.1,::1`, its local gateway). `AUTH_TRUSTED_PROXIES` overrides it."),
        ConfigKey("auth.signing_algorithm", .choice(["RS256", "EdDSA"]), default: .string("RS256"),
                  "Algorithm of new access-token signing keys; changing it rotates at the next start (old keys verify until their tokens expire). `AUTH_SIGNING_ALGORITHM` overrides it."),
        // How the other services reach and trust pulse-auth.
        ConfigKey("auth.url", .string, default: .string(""),
                  "Base URL the other services reach pulse-auth at (cookie lookups, JWKS); empty means `http://<auth.host>:<auth.port>`. `AUTH_URL` overrides it."),
        ConfigKey("auth.jwks_url", .string, default: .string(""),
                  "Where services fetch the signing keys; empty means `<auth.url>/.well-known/jwks.json`. `AUTH_JWKS_URL` overrides it."),
        ConfigKey("auth.session_cache_seconds", .float(0...300), default: .float(30),
                  "How long a service caches a session cookie's identity (sign-outs still reach it at once). `AUTH_SESSION_CACHE_SECONDS` overrides it."),
        ConfigKey("auth.ca_file", .string, default: .string(""),
                  "PEM file of the CAs services trust for an https `auth.url`; empty uses the system store. `AUTH_CA_FILE` overrides it."),
    ]

    /// The backend's keys (issue 13, issue 12 item 1).
    static let backendKeys: [ConfigKey] = [
        ConfigKey("integrations.credentials_key", .string, default: .string(""),
                  "Secret. AES-256-GCM key sealing integration credentials at rest (pulse-backend seals, pulse-etl opens): 64 hex digits. `pulse up` generates one into `<state_dir>/integrations.key`."),
    ]

    // MARK: Gateway (issue 16, web engineer)

    /// The frontend gateway's own keys: where the web app's files are, and its rate limits.
    static let gatewayKeys: [ConfigKey] = [
        ConfigKey("gateway.web_root", .string, default: .string(""),
                  "Folder of the web app's static files; empty finds `web/` beside the installed executables (`<bin>/../share/pulse/web`, or the repository's `web/` above the build folder). A relative path is taken from that install location, not the working directory."),
        ConfigKey("gateway.rate_limit_login", .integer(0...1_000_000), default: .integer(20),
                  "Sign-in attempts (`POST /auth/login`, `/auth/oidc/...`) per minute per client address at the gateway; more get 429 with `Retry-After`. 0 turns it off."),
        ConfigKey("gateway.rate_limit_api", .integer(0...10_000_000), default: .integer(1200),
                  "Requests per minute per client address to the proxied APIs (`/api`, `/auth`, `/etl`, `/ai`); more get 429 with `Retry-After`. 0 turns it off."),
    ]

    /// Keys whose values are secrets: tools that print configuration must not show them.
    public static let secretKeys: Set<String> = ["auth.key_encryption_key", "auth.csrf_key", "integrations.credentials_key"]

    /// All keys, shared ones first, then per service.
    public static let all: [ConfigKey] = shared + ServiceName.allCases.flatMap(serviceKeys) + authKeys + backendKeys + gatewayKeys

    /// Keys by dotted name.
    public static let byName: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// Keys by environment variable name.
    public static let byEnvironmentName: [String: ConfigKey] =
        Dictionary(uniqueKeysWithValues: all.map { ($0.environmentName, $0) })

    /// Environment variables that start with `PULSE_` but are not keys: they steer loading itself.
    public static let controlVariables: Set<String> = [
        "PULSE_CONFIG", "PULSE_BIN_DIR",
        // Read by the data layer and the embedding model (docs/configuration.md, "Other variables").
        "PULSE_DATA_DIR", "PULSE_DB_PORT", "PULSE_DB_REPLICA_PORT", "PULSE_PG_BIN", "PULSE_MIGRATIONS_DIR",
        "PULSE_EMBEDDING_MODEL_DIR", "PULSE_PORTABLE_KERNELS",
    ]
}
