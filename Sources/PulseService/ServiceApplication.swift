import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseObservability
import PulseSystem

/// A running (or runnable) Pulse service: its HTTP server with the service's routes plus
/// `GET /health` (liveness), `GET /ready` (readiness checks), `GET /metrics` (Prometheus) and
/// `GET /openapi.json` (OpenAPI 3.1 of every route), systemd notifications, graceful shutdown.
public final class ServiceApplication: Sendable {
    public let configuration: ServiceConfiguration
    /// Every route the server answers, the standard ones first.
    public let routes: [RouteDescription]
    /// The responder, for in-process tests.
    public let router: Router
    /// The OpenAPI document served at `/openapi.json`.
    public let openAPI: OpenAPIDocument
    public let metrics: MetricsRegistry
    private let server: HTTPServer
    private let logger: Logger
    private let notifier: SystemdNotifier

    /// Builds the service; nothing listens until ``start()`` or ``run()``.
    public init(definition: ServiceDefinition, logger: Logger,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        configuration = definition.configuration
        metrics = definition.metrics
        self.logger = logger
        notifier = SystemdNotifier(environment: environment)

        var routes = ServiceRoutes(router: definition.routes.router)
        Self.addStandardRoutes(to: &routes, definition: definition)
        let documentRoute = RouteDescription(method: "GET", pattern: "/openapi.json", summary: "This OpenAPI 3.1 document.")
        let standard = routes.descriptions + [documentRoute]
        self.routes = standard + definition.routes.descriptions.filter { own in
            !standard.contains { $0.method == own.method && $0.pattern == own.pattern }
        }
        let service = definition.configuration.service
        openAPI = OpenAPIDocument(title: "Pulse \(service.displayName)", version: definition.version,
                                  description: "The \(service.executableName) HTTP API.", tag: service.rawValue,
                                  routes: self.routes)
        let openAPIBytes = (try? Self.encoder.encode(openAPI)).map(Array.init) ?? []
        routes.add(.get, documentRoute.pattern, summary: documentRoute.summary) { _ in
            .bytes(openAPIBytes, contentType: "application/json")
        }
        router = routes.router

        let c = definition.configuration
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: c.host, port: c.port, maxConnections: c.maxConnections,
                shutdownDeadline: .milliseconds(Int(c.shutdownTimeout * 1000))),
            responder: Self.outerMiddleware(router: router, logger: logger, accessLog: c.accessLog),
            logger: logger.with(category: .http),
            observer: HTTPMetricsObserver(registry: definition.metrics))
    }

    /// Request ids, then one `[HTTP] Request` access line per request (unless turned off), then
    /// gzip for clients that accept it, around the service's router and its own middleware.
    private static func outerMiddleware(router: Router, logger: Logger, accessLog: Bool) -> any HTTPResponder {
        var middleware: [any Middleware] = [RequestIDMiddleware()]
        if accessLog { middleware.append(AccessLogMiddleware(logger: logger.with(category: .http))) }
        middleware.append(GzipMiddleware())
        return MiddlewareChain(middleware, responder: router)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func addStandardRoutes(to routes: inout ServiceRoutes, definition: ServiceDefinition) {
        let service = definition.configuration.service.rawValue
        let version = definition.version
        let started = Date()
        let checks = definition.readinessChecks
        let metrics = definition.metrics
        let process = ProcessMetrics(registry: metrics, service: service, version: version)

        routes.get("/health", summary: "Liveness: the process is up and serving HTTP.",
                   responses: [.init(200, "The service is alive.")]) { _ in
            let body = HealthBody(status: "ok", service: service, version: version, pid: getpid(),
                                  uptime_seconds: (Date().timeIntervalSince(started) * 1000).rounded() / 1000)
            return .bytes(Array(try encoder.encode(body)), contentType: "application/json")
        }
        routes.get("/ready", summary: "Readiness: every dependency check passes.",
                   responses: [.init(200, "Ready."), .init(503, "Not ready; the body says which check failed and why.")]) { _ in
            let results = await ReadinessCheck.evaluate(checks)
            let body = ReadyBody(
                status: results.allSatisfy { $0.status == .ready } ? "ready" : "not_ready",
                checks: results.map { result in
                    if case .notReady(let why) = result.status { return .init(name: result.name, ok: false, detail: why) }
                    return .init(name: result.name, ok: true, detail: nil)
                })
            return .bytes(Array(try encoder.encode(body)), status: body.status == "ready" ? .ok : .serviceUnavailable,
                          contentType: "application/json")
        }
        routes.get("/metrics", summary: "Prometheus metrics (text exposition format 0.0.4).",
                   responses: [.init(200, "Metrics.", contentType: MetricsRegistry.contentType)]) { _ in
            process.update()
            return .text(metrics.render(), contentType: MetricsRegistry.contentType)
        }
    }

    struct HealthBody: Codable {
        var status: String
        var service: String
        var version: String
        var pid: Int32
        var uptime_seconds: Double
    }

    struct ReadyBody: Codable {
        struct Check: Codable {
            var name: String
            var ok: Bool
            var detail: String?
        }
        var status: String
        var checks: [Check]
    }

    /// Binds and starts serving; returns the bound port. Sends `READY=1` under systemd.
    @discardableResult
    public func start() throws -> Int {
        let port = try server.start()
        logger.info("Service started", metadata: [
            "service": "\(configuration.service.rawValue)", "host": "\(configuration.host)", "port": "\(port)",
            "pid": "\(getpid())",
        ])
        notifier.ready(status: "listening on \(configuration.host):\(port)")
        return port
    }

    /// Graceful shutdown: `STOPPING=1`, stop accepting, drain in-flight requests up to
    /// `shutdownTimeout`, close the rest.
    public func shutdown() async {
        notifier.stopping()
        logger.info("Service stopping", metadata: ["service": "\(configuration.service.rawValue)"])
        await server.shutdown()
        logger.info("Service stopped", metadata: ["service": "\(configuration.service.rawValue)"])
    }

    /// Starts, waits for SIGTERM or SIGINT, shuts down gracefully. The process is guaranteed to
    /// end within `shutdownTimeout` + 0.75 s of the signal (and never later than 5 s): a watchdog
    /// exits if draining overruns.
    public func run() async throws {
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])
        try start()
        let signal = await signals.wait()
        logger.info("Signal received", metadata: ["signal": "\(signal.map(String.init) ?? "?")"])
        let limit = min(configuration.shutdownTimeout + 0.75, 4.9)
        let logger = self.logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: limit)
            logger.warning("Shutdown overran its deadline; exiting", metadata: ["limit_s": "\(limit)"])
            exit(0)
        }
        await shutdown()
        signals.cancel()
    }
}
