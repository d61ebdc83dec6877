import Foundation
import PulseConfiguration
import PulseTestSupport
import Testing
@testable import PulseService

/// Each of the five executables, started as a real process on port 0, answers the four standard
/// endpoints and exits cleanly within 5 s of SIGTERM.
@Test(arguments: ServiceName.allCases)
func executableServesStandardEndpointsAndStopsOnSIGTERM(service: ServiceName) async throws {
    let dir = TemporaryDirectory("pulse-\(service.rawValue)")
    defer { dir.remove() }
    let log = dir.path + "/service.log"
    let closed = "http://127.0.0.1:\(freePort())"
    let pid = try ChildProcess.spawn(ChildSpec(
        name: service.rawValue, executable: buildDirectory + "/" + service.executableName,
        arguments: ["--port", "0", "--config", dir.write("empty.toml", "")],
        // Upstreams on a closed port: hermetic even when another Pulse runs on the default ports.
        environment: ["PULSE_LOG_COLOR": "auto", "AUTH_URL": closed, "BACKEND_URL": closed, "ETL_URL": closed, "AI_URL": closed],
        logFile: log))
    var stopped = false
    defer { if !stopped { kill(pid, SIGKILL); _ = ChildProcess.reap(pid) } }
    let port = try #require(await announcedPort(logFile: log), "no 'Service started' line in \(log)")

    let client = try HTTPTestClient(port: port)
    let health = try await client.request("GET", "/health")
    #expect(health.status == 200)
    #expect(health.bodyText.contains("\"service\":\"\(service.rawValue)\""))
    #expect(health.header("X-Request-ID") != nil)
    let ready = try await client.request("GET", "/ready")
    if service == .auth {
        // The token authority needs its database; without one it stays up and says why.
        #expect(ready.status == 503)
        #expect(ready.bodyText.contains("DATABASE_URL"))
    } else {
        // The other services verify tokens with pulse-auth's keys; with no auth service
        // running they stay up and say so.
        #expect(ready.status == 503)
        #expect(ready.bodyText.contains("\"auth\"") && ready.bodyText.contains("no signing keys"), "\(ready.bodyText)")
    }
    let metrics = try await client.request("GET", "/metrics")
    #expect(metrics.status == 200)
    #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
    let parsed = try ExpositionParser(metrics.bodyText)
    #expect(parsed.samples.contains { $0.name == "pulse_http_requests_total" && $0.labels["route"] == "/health" && $0.labels["status"] == "200" })
    #expect(parsed.types["pulse_http_request_duration_seconds"] == "histogram")
    #expect(parsed.samples.contains { $0.name == "pulse_http_open_connections" && $0.value >= 1 })
    #expect(parsed.types["pulse_websocket_sessions"] == "gauge")
    let openapi = try await client.request("GET", "/openapi.json")
    #expect(openapi.status == 200)
    let document = try JSONDecoder().decode(OpenAPIDocument.self, from: Data(openapi.body))
    #expect(document.openapi == "3.1.0")
    for path in ["/health", "/ready", "/metrics", "/openapi.json"] { #expect(document.paths[path]?["get"] != nil) }
    // Every documented operation is answered by the live router (not 404/405).
    for (path, operations) in document.paths {
        for method in operations.keys {
            let concrete = path.replacing(/\{[^}]+\}/, with: "x")
            let response = try await client.request(method.uppercased(), concrete)
            #expect(response.status != 404 && response.status != 405, "\(method) \(path)")
        }
    }
    client.socket.close()

    let signalled = ContinuousClock.now
    kill(pid, SIGTERM)
    let exit = await waitForExit(pid, seconds: 5)
    stopped = exit != nil
    #expect(exit == .exited(0))
    #expect(ContinuousClock.now - signalled < .seconds(5))
    let text = try String(contentsOfFile: log, encoding: .utf8)
    #expect(text.contains("[info] ["), "log lines in the seed format")
    #expect(!text.contains("\u{1B}["), "no colour when stdout is a file")
    #expect(text.contains(" Service stopped [pulse.\(service.rawValue)]"))
    let access = text.split(separator: "\n").first { $0.contains(" [info] [HTTP] Request [pulse.\(service.rawValue)]") && $0.contains("http.path=/health") }
    #expect(access?.contains("http.status=200") == true && access?.contains("http.request_id=") == true, "access line for /health")
}

@Test func badConfigurationExitsWith78AndNamesTheKey() async throws {
    let dir = TemporaryDirectory("pulse-badconfig")
    defer { dir.remove() }
    let config = dir.write("pulse.toml", "[auth]\nport = \"four thousand\"\n")
    let (status, output) = try runCommand(buildDirectory + "/pulse-auth", ["--config", config])
    #expect(status == 78)
    #expect(output == "pulse-auth: \(config):2: auth.port: expected integer 0...65535, got \"four thousand\"\n")
    let (usageStatus, usage) = try runCommand(buildDirectory + "/pulse-auth", ["--prot", "1"])
    #expect(usageStatus == 64)
    #expect(usage.hasPrefix("pulse-auth: unknown argument '--prot'"))
    let (portStatus, portOutput) = try runCommand(buildDirectory + "/pulse-auth", ["--port", "99999", "--config", dir.write("e.toml", "")])
    #expect(portStatus == 78)
    #expect(portOutput.contains("command-line option --port: auth.port: expected integer 0...65535, got 99999"))
}
