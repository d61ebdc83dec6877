/// Everything one service process needs from configuration. Tests build it from literals
/// (port 0, level trace); executables build it with ``init(service:snapshot:)``.
public struct ServiceConfiguration: Sendable, Equatable {
    /// Which service this is.
    public var service: ServiceName
    /// Listen address.
    public var host: String
    /// Listen port; 0 picks a free one.
    public var port: Int
    /// swift-log level name (`trace` … `critical`).
    public var logLevel: String
    /// `auto`, `always` or `never`.
    public var logColor: String
    /// Folder for per-client log files, nil for none.
    public var clientLogDirectory: String?
    /// Whether every request gets an `[HTTP] Request` access line.
    public var accessLog: Bool
    /// Local data folder.
    public var dataDirectory: String
    /// libpq URI of the primary.
    public var databasePrimaryURL: String
    /// libpq URI of the replica; nil means use the primary.
    public var databaseReplicaURL: String?
    /// Connection limit of the HTTP server.
    public var maxConnections: Int
    /// Seconds in-flight requests get after SIGTERM.
    public var shutdownTimeout: Double

    /// Creates a configuration from literals; every parameter but `service` has the documented default.
    public init(
        service: ServiceName, host: String = "127.0.0.1", port: Int? = nil, logLevel: String = "info",
        logColor: String = "auto", clientLogDirectory: String? = nil, accessLog: Bool = true, dataDirectory: String = ".pulse/data",
        databasePrimaryURL: String = "",
        databaseReplicaURL: String? = nil,
        maxConnections: Int = 10_000, shutdownTimeout: Double = 4
    ) {
        self.service = service
        self.host = host
        self.port = port ?? service.defaultPort
        self.logLevel = logLevel
        self.logColor = logColor
        self.clientLogDirectory = clientLogDirectory
        self.accessLog = accessLog
        self.dataDirectory = dataDirectory
        self.databasePrimaryURL = databasePrimaryURL
        self.databaseReplicaURL = databaseReplicaURL
        self.maxConnections = maxConnections
        self.shutdownTimeout = shutdownTimeout
    }

    /// Reads the service's keys (and the shared ones) from a loaded snapshot.
    public init(service: ServiceName, snapshot: ConfigurationSnapshot) {
        let s = service.rawValue
        let ownLevel = snapshot.string("\(s).log_level")
        let clientDir = snapshot.string("log.client_dir")
        let replica = snapshot.string("database.replica_url")
        self.init(
            service: service,
            host: snapshot.string("\(s).host"),
            port: snapshot.int("\(s).port"),
            logLevel: ownLevel.isEmpty ? snapshot.string("log.level") : ownLevel,
            logColor: snapshot.string("log.color"),
            clientLogDirectory: clientDir.isEmpty ? nil : clientDir,
            accessLog: snapshot.bool("log.access"),
            dataDirectory: snapshot.string("paths.data_dir"),
            databasePrimaryURL: snapshot.string("database.primary_url"),
            databaseReplicaURL: replica.isEmpty ? nil : replica,
            maxConnections: snapshot.int("http.max_connections"),
            shutdownTimeout: snapshot.double("http.shutdown_timeout"))
    }
}

/// What `pulse up` needs: where to keep state, how to restart, and every service.
public struct SupervisorConfiguration: Sendable, Equatable {
    public var stateDirectory: String
    public var restartInitialDelay: Double
    public var restartMaxDelay: Double
    public var stableAfter: Double
    public var stopTimeout: Double
    public var services: [ServiceConfiguration]

    public init(
        stateDirectory: String = ".pulse", restartInitialDelay: Double = 0.5, restartMaxDelay: Double = 30,
        stableAfter: Double = 10, stopTimeout: Double = 10,
        services: [ServiceConfiguration] = ServiceName.allCases.map { ServiceConfiguration(service: $0) }
    ) {
        self.stateDirectory = stateDirectory
        self.restartInitialDelay = restartInitialDelay
        self.restartMaxDelay = restartMaxDelay
        self.stableAfter = stableAfter
        self.stopTimeout = stopTimeout
        self.services = services
    }

    /// Reads the supervisor keys and every service's keys.
    public init(snapshot: ConfigurationSnapshot) {
        self.init(
            stateDirectory: snapshot.string("paths.state_dir"),
            restartInitialDelay: snapshot.double("supervisor.restart_initial_delay"),
            restartMaxDelay: snapshot.double("supervisor.restart_max_delay"),
            stableAfter: snapshot.double("supervisor.stable_after"),
            stopTimeout: snapshot.double("supervisor.stop_timeout"),
            services: ServiceName.allCases.map { ServiceConfiguration(service: $0, snapshot: snapshot) })
    }
}
