import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulseTestSupport
import Testing
@testable import PulseGateway

/// A throwaway web root: index.html referencing `/assets/`, a module, a stylesheet.
struct WebRootFixture {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-web-\(UUID().uuidString)").path
        write("index.html", "<!doctype html><html><head><script type=\"module\" src=\"/assets/app.js\"></script>"
            + "<link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body>Pulse</body></html>")
        write("assets/app.js", "import { x } from './x.js';\n" + String(repeating: "console.log('pulse');\n", count: 200))
        write("assets/x.js", "export const x = 1;\n")
        write("assets/app.css", String(repeating: "body { color: red; }\n", count: 100))
    }

    func write(_ name: String, _ text: String) {
        let full = path + "/" + name
        try! FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: full, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

@Suite("Gateway web app files", .timeLimit(.minutes(1)))
struct WebAppTests {
    func withGateway(_ configuration: (String) -> GatewayConfiguration, _ body: (Int, WebRootFixture) async throws -> Void) async throws {
        let root = WebRootFixture()
        defer { root.remove() }
        var router = Router()
        router.get("/api/v1/ping") { _ in .text("pong") }
        for middleware in GatewayService.middleware(configuration(root.path), logger: Logger(label: "test")) { router.use(middleware) }
        try await withLiveHTTPServer(responder: router) { _, port in try await body(port, root) }
    }

    static func standard(_ root: String) -> GatewayConfiguration { GatewayConfiguration(webRoot: root, loginPerMinute: 0, apiPerMinute: 0) }

    @Test func indexIsRevalidatedAndPointsAtVersionedAssets() async throws {
        try await withGateway(Self.standard) { port, _ in
            let client = try HTTPTestClient(port: port)
            defer { client.socket.close() }
            let index = try await client.request("GET", "/")
            #expect(index.status == 200)
            #expect(index.header("Content-Type") == "text/html; charset=utf-8")
            #expect(index.header("Cache-Control") == "no-cache")
            let csp = try #require(index.header("Content-Security-Policy"))
            #expect(csp.contains("script-src 'self'") && csp.contains("style-src 'self'") && !csp.contains("unsafe-inline"))
            #expect(index.header("X-Frame-Options") == "DENY" && index.header("X-Content-Type-Options") == "nosniff")
            let match = try #require(index.bodyText.firstMatch(of: /src="\/v\/([0-9a-f]+)\/assets\/app\.js"/), "\(index.bodyText)")
            let version = String(match.1)
            #expect(index.bodyText.contains("href=\"/v/\(version)/assets/app.css\""))
            // Versioned assets (and relative imports under them) are immutable.
            let app = try await client.request("GET", "/v/\(version)/assets/app.js")
            #expect(app.status == 200 && app.header("Cache-Control") == "public, max-age=31536000, immutable")
            #expect(app.header("Content-Type") == "text/javascript; charset=utf-8")
            let module = try await client.request("GET", "/v/\(version)/assets/x.js")
            #expect(module.bodyText == "export const x = 1;\n")
            let query = try await client.request("GET", "/assets/app.css?v=3")
            #expect(query.header("Cache-Control") == "public, max-age=31536000, immutable")
            let plain = try await client.request("GET", "/assets/app.css")
            #expect(plain.header("Cache-Control") == "no-cache")
        }
    }

    @Test func etagGivesNotModifiedAndGzipIsServedWhenAccepted() async throws {
        try await withGateway(Self.standard) { port, root in
            let client = try HTTPTestClient(port: port)
            defer { client.socket.close() }
            let plain = try await client.request("GET", "/assets/app.js")
            let tag = try #require(plain.header("ETag"))
            #expect(plain.header("Content-Encoding") == nil && plain.bodyText.hasPrefix("import"))
            let again = try await client.request("GET", "/assets/app.js", headers: [("If-None-Match", tag)])
            #expect(again.status == 304 && again.body.isEmpty)
            let gzipped = try await client.request("GET", "/assets/app.js", headers: [("Accept-Encoding", "gzip, br")])
            #expect(gzipped.header("Content-Encoding") == "gzip")
            #expect(gzipped.body.count < plain.body.count / 5, "\(gzipped.body.count) of \(plain.body.count)")
            #expect(Array(gzipped.body.prefix(2)) == [0x1F, 0x8B])
            let gzipTag = try #require(gzipped.header("ETag"))
            #expect(gzipTag != tag)
            #expect(try await client.request("GET", "/assets/app.js", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", gzipTag)]).status == 304)
            // A changed file has a new ETag and a new version in index.html.
            let before = try await client.request("GET", "/").bodyText
            try await Task.sleep(for: .milliseconds(1100))
            root.write("assets/app.js", "console.log('changed');\n")
            let changed = try await client.request("GET", "/assets/app.js", headers: [("If-None-Match", tag)])
            #expect(changed.status == 200 && changed.bodyText == "console.log('changed');\n")
            #expect(try await client.request("GET", "/").bodyText != before)
        }
    }

    @Test func deepLinksServeTheAppAndApisAreNotShadowed() async throws {
        try await withGateway(Self.standard) { port, _ in
            let client = try HTTPTestClient(port: port)
            defer { client.socket.close() }
            let deep = try await client.request("GET", "/dora?repo=acme-pay/api&from=2026-01-01")
            #expect(deep.status == 200 && deep.bodyText.contains("Pulse") && deep.header("Cache-Control") == "no-cache")
            #expect(try await client.request("GET", "/admin/users").status == 200)
            // A missing asset (with an extension) is a 404, not the app.
            #expect(try await client.request("GET", "/assets/missing.js").status == 404)
            #expect(try await client.request("GET", "/v/abc/assets/missing.js").status == 404)
            // API prefixes go to their routes; unknown API paths stay 404 problems.
            #expect(try await client.request("GET", "/api/v1/ping").bodyText == "pong")
            let unknown = try await client.request("GET", "/api/v1/nothing")
            #expect(unknown.status == 404 && unknown.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(try await client.request("POST", "/dora").status != 200, "only GET and HEAD serve files")
            // Nothing outside the root: a dot-dot path is at most the app's index.html.
            for path in ["/../../etc/passwd", "/assets/../../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd"] {
                #expect(!(try await client.request("GET", path).bodyText.contains("root:")), "\(path)")
            }
            let head = try await client.request("HEAD", "/")
            #expect(head.status == 200 && head.body.isEmpty)
        }
    }

    @Test func defaultWebRootIsFoundFromTheExecutableNotTheWorkingDirectory() throws {
        let root = WebRootFixture()
        defer { root.remove() }
        // <repo>/web next to <repo>/.build/x86_64-unknown-linux-gnu/debug/pulse-frontend-gateway.
        let repo = (root.path as NSString).deletingLastPathComponent + "/pulse-repo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: repo + "/.build/x86_64-unknown-linux-gnu/debug", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: repo) }
        try FileManager.default.copyItem(atPath: root.path, toPath: repo + "/web")
        let executable = repo + "/.build/x86_64-unknown-linux-gnu/debug/pulse-frontend-gateway"
        #expect(GatewayConfiguration.resolveWebRoot(configured: "", executable: executable) == repo + "/web")
        #expect(GatewayConfiguration.resolveWebRoot(configured: "web", executable: executable) == repo + "/web")
        #expect(GatewayConfiguration.resolveWebRoot(configured: "/srv/pulse/web", executable: executable) == "/srv/pulse/web")
        #expect(GatewayConfiguration.resolveWebRoot(configured: "", executable: "/nonexistent/bin/pulse-frontend-gateway") == nil)
        // Installed layout: <prefix>/bin + <prefix>/share/pulse/web.
        try FileManager.default.createDirectory(atPath: repo + "/prefix/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: repo + "/prefix/share/pulse", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root.path, toPath: repo + "/prefix/share/pulse/web")
        #expect(GatewayConfiguration.resolveWebRoot(configured: "", executable: repo + "/prefix/bin/pulse-frontend-gateway")
            == repo + "/prefix/share/pulse/web")
        // The keys are read from configuration.
        var snapshot = ConfigurationSnapshot()
        try snapshot.set("gateway.rate_limit_login", text: "7", origin: .commandLine(option: "test"))
        try snapshot.set("gateway.web_root", text: "/srv/web", origin: .commandLine(option: "test"))
        let configuration = GatewayConfiguration(snapshot: snapshot, executable: executable)
        #expect(configuration.loginRule.limit == 7 && configuration.apiRule.limit == 1200 && configuration.webRoot == "/srv/web")
    }
}

@Suite("Gateway rate limits", .timeLimit(.minutes(1)))
struct RateLimitTests {
    @Test func bucketRefillsAtTheConfiguredRate() {
        let now = LockedBox(0.0)
        let limiter = RateLimiter(clock: { now.value })
        let rule = RateLimiter.Rule(name: "login", limit: 3, window: 60)
        for _ in 0..<3 { #expect(limiter.take(rule, key: "a") == nil) }
        #expect(limiter.take(rule, key: "a") == 20, "one token every 20 s")
        #expect(limiter.take(rule, key: "b") == nil, "per address")
        now.value = 20
        #expect(limiter.take(rule, key: "a") == nil)
        #expect(limiter.take(rule, key: "a") != nil)
        #expect(limiter.take(RateLimiter.Rule(name: "off", limit: 0), key: "a") == nil)
    }

    @Test func loginAndApisAnswer429WithRetryAfter() async throws {
        let root = WebRootFixture()
        defer { root.remove() }
        var router = Router()
        router.post("/auth/login") { _ in .text("signed in") }
        router.get("/api/v1/ping") { _ in .text("pong") }
        let configuration = GatewayConfiguration(webRoot: root.path, loginPerMinute: 2, apiPerMinute: 5)
        for middleware in GatewayService.middleware(configuration, logger: Logger(label: "test")) { router.use(middleware) }
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try HTTPTestClient(port: port)
            defer { client.socket.close() }
            // A forged X-Forwarded-For does not buy a fresh budget.
            for i in 0..<2 {
                #expect(try await client.request("POST", "/auth/login", headers: [("X-Forwarded-For", "10.9.9.\(i)")]).status == 200)
            }
            let limited = try await client.request("POST", "/auth/login", headers: [("X-Forwarded-For", "10.9.9.9")])
            #expect(limited.status == 429)
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.header("Content-Type")?.hasPrefix("application/problem+json") == true)
            #expect(limited.bodyText.contains("sign-in"))
            // The login attempts also counted against the API budget (3 left of 5).
            for _ in 0..<3 { #expect(try await client.request("GET", "/api/v1/ping").status == 200) }
            #expect(try await client.request("GET", "/api/v1/ping").status == 429)
            // Static files are never limited.
            for _ in 0..<10 { #expect(try await client.request("GET", "/assets/x.js").status == 200) }
        }
    }
}

/// A tiny lock-protected box for the fake clock.
final class LockedBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
