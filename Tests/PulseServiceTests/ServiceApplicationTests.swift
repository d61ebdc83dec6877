import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseTestSupport
import Testing
@testable import PulseService

private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

private func makeDefinition() -> ServiceDefinition {
    var definition = ServiceDefinition(configuration: ServiceConfiguration(service: .backend, port: 0, shutdownTimeout: 1))
    definition.routes.get("/api/v1/items/:id", summary: "One item.") { request in
        .text(request.pathParameters["id"] ?? "")
    }
    definition.routes.post("/api/v1/items", summary: "Create an item.", responses: [.init(201, "Created.")]) { _ in
        .text("", status: .created)
    }
    definition.routes.get("/static/**", summary: "Static files.") { _ in .text("file") }
    return definition
}

@Test func openAPIDocumentListsExactlyTheRouterRoutes() throws {
    let app = ServiceApplication(definition: makeDefinition(), logger: quiet, environment: [:])
    // Every route the application registered is in the document …
    var documented = Set<String>()
    for (path, operations) in app.openAPI.paths {
        for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
    }
    let registered = Set(app.routes.map { "\($0.method) \($0.openAPIPath)" })
    #expect(documented == registered)
    #expect(registered.count == 7)
    #expect(documented.contains("GET /api/v1/items/{id}"))
    #expect(documented.contains("GET /static/{path}"))
    #expect(app.openAPI.paths["/api/v1/items/{id}"]?["get"]?.parameters?.map(\.name) == ["id"])
    #expect(app.openAPI.paths["/api/v1/items"]?["post"]?.requestBody?.content["application/json"] != nil)
    #expect(app.openAPI.paths["/api/v1/items"]?["post"]?.responses["201"]?.description == "Created.")
    // … and every documented operation is one the router really answers, with that pattern.
    for route in app.routes {
        let concrete = route.pattern.replacing(/:[a-z_]+/, with: "x").replacing("**", with: "a/b")
        let match = try #require(app.router.match(HTTPMethod(rawValue: route.method), path: concrete), "\(route.method) \(concrete)")
        #expect(match.pattern == route.pattern)
    }
    // Paths that are not documented are not routed.
    #expect(app.router.match(.get, path: "/api/v1/nothing") == nil)
    #expect(app.router.match(.delete, path: "/api/v1/items") == nil)
}

@Test func readinessSaysWhatIsWrong() async throws {
    var definition = makeDefinition()
    definition.readinessChecks = [
        ReadinessCheck(name: "database") { .notReady("connection refused by 127.0.0.1:5432") },
        ReadinessCheck(name: "cache") { .ready },
        ReadinessCheck(name: "slow", timeout: .milliseconds(100)) {
            try? await Task.sleep(for: .seconds(60))
            return .ready
        },
    ]
    let app = ServiceApplication(definition: definition, logger: quiet, environment: [:])
    let port = try app.start()
    defer { Task { await app.shutdown() } }
    let client = try HTTPTestClient(port: port)
    let started = ContinuousClock.now
    let response = try await client.request("GET", "/ready")
    #expect(ContinuousClock.now - started < .seconds(30), "a slow check (60 s) is cut off at its timeout")
    #expect(response.status == 503)
    struct Body: Decodable {
        struct Check: Decodable { var name: String; var ok: Bool; var detail: String? }
        var status: String
        var checks: [Check]
    }
    let body = try JSONDecoder().decode(Body.self, from: Data(response.body))
    #expect(body.status == "not_ready")
    #expect(body.checks.map(\.name) == ["database", "cache", "slow"])
    #expect(body.checks[0].detail == "connection refused by 127.0.0.1:5432")
    #expect(body.checks[1].ok)
    #expect(body.checks[2].detail?.hasPrefix("no answer within") == true)
    client.socket.close()
    await app.shutdown()
}

@Test func metricsCountRequestsByRoutePatternAndStatus() async throws {
    let app = ServiceApplication(definition: makeDefinition(), logger: quiet, environment: [:])
    let port = try app.start()
    let client = try HTTPTestClient(port: port)
    for id in ["1", "2", "3"] { #expect(try await client.request("GET", "/api/v1/items/\(id)").status == 200) }
    #expect(try await client.request("GET", "/nope").status == 404)
    #expect(try await client.request("POST", "/api/v1/items", body: Array("{}".utf8)).status == 201)
    let parsed = try ExpositionParser(try await client.request("GET", "/metrics").bodyText)
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        parsed.samples.first { $0.name == name && $0.labels == labels }?.value
    }
    #expect(value("pulse_http_requests_total", ["method": "GET", "route": "/api/v1/items/:id", "status": "200"]) == 3)
    #expect(value("pulse_http_requests_total", ["method": "GET", "route": "unmatched", "status": "404"]) == 1)
    #expect(value("pulse_http_requests_total", ["method": "POST", "route": "/api/v1/items", "status": "201"]) == 1)
    #expect(value("pulse_http_request_duration_seconds_count", ["method": "GET", "route": "/api/v1/items/:id"]) == 3)
    #expect(value("pulse_http_request_body_bytes_total", ["route": "/api/v1/items"]) == 2)
    #expect(value("pulse_http_open_connections", [:]) == 1)
    #expect(value("pulse_websocket_sessions", [:]) == 0)
    #expect(value("pulse_service_info", ["service": "backend", "version": PulseVersion.current]) == 1)
    #expect((value("process_resident_memory_bytes", [:]) ?? 0) > 1_000_000)
    client.socket.close()
    await app.shutdown()
}

/// A unix datagram socket standing in for systemd's notification socket.
private final class NotifySocket: Sendable {
    let fd: Int32
    let path: String

    init(path: String) {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        unlink(path)
    }
}

@Test func systemdHearsReadyAndStopping() async throws {
    let dir = TemporaryDirectory("pulse-notify")
    defer { dir.remove() }
    let listener = NotifySocket(path: dir.path + "/notify.sock")
    let app = ServiceApplication(definition: makeDefinition(), logger: quiet, environment: ["NOTIFY_SOCKET": listener.path])
    let port = try app.start()
    let ready = try #require(try await blocking { listener.receive() })
    #expect(ready.hasPrefix("READY=1\nMAINPID=\(getpid())\nSTATUS=listening on 127.0.0.1:\(port)"))
    await app.shutdown()
    #expect(try await blocking { listener.receive() } == "STOPPING=1")
    #expect(!SystemdNotifier(environment: [:]).ready(), "no socket, no notification")
}
