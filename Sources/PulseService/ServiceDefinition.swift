import PulseConfiguration
import PulseObservability
import PulsePostgres

/// A service before it runs: its configuration, its own routes and readiness checks, and the
/// metrics registry its parts share. ``ServiceApplication`` adds the four standard endpoints
/// (`/health`, `/ready`, `/metrics`, `/openapi.json`) when it is built from this.
public struct ServiceDefinition: Sendable {
    public var configuration: ServiceConfiguration
    /// The service's own API.
    public var routes = ServiceRoutes()
    /// Checks behind `GET /ready`; all must pass for 200.
    public var readinessChecks: [ReadinessCheck] = []
    /// The service's database, connected by `ServiceMain` from `DATABASE_URL` (nil without one).
    public var database: PostgresDatabase?
    /// The registry behind `GET /metrics`; register the service's own metrics here too.
    public let metrics: MetricsRegistry
    /// Reported in `/health` and the OpenAPI `info.version`.
    public var version: String
    /// Every configuration value (defaults unless `ServiceMain` loaded them), for parts that
    /// need keys of other services, e.g. the auth service's address.
    public var snapshot = ConfigurationSnapshot()

    public init(configuration: ServiceConfiguration, metrics: MetricsRegistry = MetricsRegistry(),
                version: String = PulseVersion.current) {
        self.configuration = configuration
        self.metrics = metrics
        self.version = version
    }
}

/// The platform version string.
public enum PulseVersion {
    public static let current = "0.1.0"
}
