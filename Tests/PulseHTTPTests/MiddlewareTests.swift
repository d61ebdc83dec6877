import Foundation
import Logging
@testable import PulseHTTP
import PulseTestSupport
import Synchronization
import Testing

/// Collects log records for assertions.
final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    let records = Mutex<[(String, Logger.Metadata)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        records.withLock { $0.append(("\(message)", metadata ?? [:])) }
    }
}

struct Widget: Codable, Equatable {
    var widgetName: String
    var partCount: Int
}

struct TokenAuthenticator: Authenticator {
    func authenticate(_ request: HTTPRequest) async throws -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        guard header == "Bearer good" else { throw HTTPError(.unauthorized, detail: "invalid token") }
        return "alice"
    }
}

@Suite struct MiddlewareTests {
    @Test func requestIDAndAccessLog() async throws {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        var router = Router()
        router.use(RequestIDMiddleware())
        router.use(AccessLogMiddleware(logger: logger))
        router.get("/x/:id") { request in .text(request.requestID ?? "none") }
        let generated = try await router.respond(to: HTTPRequest(method: .get, target: "/x/1"))
        let id = try #require(generated.headers["X-Request-ID"])
        #expect(id.count == 32)
        #expect(String(decoding: generated.body.bytes!, as: UTF8.self) == id)
        let kept = try await router.respond(to: HTTPRequest(method: .get, target: "/x/2", headers: ["X-Request-ID": "abc-123"]))
        #expect(kept.headers["X-Request-ID"] == "abc-123")
        let replaced = try await router.respond(to: HTTPRequest(method: .get, target: "/x/3", headers: ["X-Request-ID": "bad id\u{7}"]))
        #expect(replaced.headers["X-Request-ID"] != "bad id\u{7}")
        let records = handler.records.withLock { $0 }
        #expect(records.count == 3)
        #expect(records[1].0 == "Request")
        #expect(records[1].1["http.request_id"] == "abc-123")
        #expect(records[1].1["http.status"] == "200")
        #expect(records[1].1["http.path"] == "/x/2")
        #expect(records[1].1["http.route"] == "/x/:id")
        #expect(records[1].1["category"] == "HTTP")
    }

    @Test func cors() async throws {
        var router = Router()
        router.use(CORSMiddleware(.init(allowedOrigins: ["https://app.example"])))
        router.get("/data") { _ in .text("d") }
        let preflight = try await router.respond(to: HTTPRequest(method: .options, target: "/data", headers: [
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
        ]))
        #expect(preflight.status.code == 204)
        #expect(preflight.headers["Access-Control-Allow-Origin"] == "https://app.example")
        #expect(preflight.headers["Access-Control-Allow-Methods"]?.contains("GET") == true)
        let simple = try await router.respond(to: HTTPRequest(method: .get, target: "/data", headers: ["Origin": "https://app.example"]))
        #expect(simple.headers["Access-Control-Allow-Origin"] == "https://app.example")
        let foreign = try await router.respond(to: HTTPRequest(method: .get, target: "/data", headers: ["Origin": "https://evil.example"]))
        #expect(foreign.headers["Access-Control-Allow-Origin"] == nil)
    }

    @Test func gzipWhenAcceptedLive() async throws {
        let text = String(repeating: "{\"name\":\"pulse\",\"value\":12345},", count: 100)
        var router = Router()
        router.use(GzipMiddleware())
        router.get("/big") { _ in .text(text, contentType: "application/json") }
        router.get("/small") { _ in .text("tiny", contentType: "application/json") }
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try HTTPTestClient(port: port)
            let zipped = try await client.request("GET", "/big", headers: [("Accept-Encoding", "br, gzip;q=0.8")])
            #expect(zipped.header("Content-Encoding") == "gzip")
            #expect(zipped.body.count < text.utf8.count / 4)
            #expect(Gzip.decompress(zipped.body).map { String(decoding: $0, as: UTF8.self) } == text)
            #expect(zipped.header("Vary") == "Accept-Encoding")
            let refused = try await client.request("GET", "/big", headers: [("Accept-Encoding", "gzip;q=0")])
            #expect(refused.header("Content-Encoding") == nil && refused.bodyText == text)
            let plain = try await client.request("GET", "/big")
            #expect(plain.header("Content-Encoding") == nil)
            let small = try await client.request("GET", "/small", headers: [("Accept-Encoding", "gzip")])
            #expect(small.header("Content-Encoding") == nil)
        }
    }

    @Test func authenticationHook() async throws {
        var router = Router()
        router.use(AuthenticationMiddleware(TokenAuthenticator()))
        router.get("/me") { request in .text(request.identity(as: String.self) ?? "nobody") }
        let ok = try await router.respond(to: HTTPRequest(method: .get, target: "/me", headers: ["Authorization": "Bearer good"]))
        #expect(String(decoding: ok.body.bytes!, as: UTF8.self) == "alice")
        await #expect(throws: HTTPError.self) { try await router.respond(to: HTTPRequest(method: .get, target: "/me")) }
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try HTTPTestClient(port: port)
            let missing = try await client.request("GET", "/me")
            #expect(missing.status == 401)
            #expect(missing.header("WWW-Authenticate") == "Bearer")
            #expect(missing.header("Content-Type") == "application/problem+json")
            #expect(try await client.request("GET", "/me", headers: [("Authorization", "Bearer bad")]).bodyText.contains("invalid token"))
        }
    }

    @Test func jsonBodiesSnakeCaseAndClearErrors() async throws {
        var router = Router()
        router.post("/widgets") { request in
            let widget = try request.decode(Widget.self)
            return try .json(widget, status: .created)
        }
        func post(_ body: String, contentType: String = "application/json") async throws -> HTTPResponse {
            try await router.respond(to: HTTPRequest(method: .post, target: "/widgets", headers: ["Content-Type": contentType], body: Array(body.utf8)))
        }
        let created = try await post("{\"widget_name\":\"w\",\"part_count\":3}")
        #expect(created.status.code == 201)
        #expect(String(decoding: created.body.bytes!, as: UTF8.self) == "{\"part_count\":3,\"widget_name\":\"w\"}")
        let missing = try await post("{\"widget_name\":\"w\"}")
        #expect(missing.status.code == 400)
        #expect(String(decoding: missing.body.bytes!, as: UTF8.self).contains("missing field 'part_count'"))
        let wrongType = try await post("{\"widget_name\":\"w\",\"part_count\":\"x\"}")
        #expect(String(decoding: wrongType.body.bytes!, as: UTF8.self).contains("part_count"))
        #expect(try await post("{not json").status.code == 400)
        #expect(try await post("{}", contentType: "text/plain").status.code == 415)
    }

    @Test func staticFiles() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-static-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let content = String(repeating: "0123456789", count: 10)
        try content.write(toFile: root + "/sub/data.txt", atomically: true, encoding: .utf8)
        try "<h1>home</h1>".write(toFile: root + "/index.html", atomically: true, encoding: .utf8)
        try "secret".write(toFile: root + "/../pulse-outside-\(root.hashValue).txt", atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: root + "/../pulse-outside-\(root.hashValue).txt") }
        try FileManager.default.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: "/etc/hostname")

        var router = Router()
        router.use(StaticFileMiddleware(root: root, urlPrefix: "/static"))
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try HTTPTestClient(port: port)
            let file = try await client.request("GET", "/static/sub/data.txt")
            #expect(file.status == 200 && file.bodyText == content)
            #expect(file.header("Content-Type") == "text/plain; charset=utf-8")
            let etag = try #require(file.header("ETag"))
            #expect(try await client.request("GET", "/static/sub/data.txt", headers: [("If-None-Match", etag)]).status == 304)
            #expect(try await client.request("GET", "/static/sub/data.txt", headers: [("If-None-Match", "\"other\"")]).status == 200)
            let range = try await client.request("GET", "/static/sub/data.txt", headers: [("Range", "bytes=10-19")])
            #expect(range.status == 206 && range.bodyText == "0123456789")
            #expect(range.header("Content-Range") == "bytes 10-19/100")
            let suffix = try await client.request("GET", "/static/sub/data.txt", headers: [("Range", "bytes=-5")])
            #expect(suffix.bodyText == "56789")
            let unsatisfiable = try await client.request("GET", "/static/sub/data.txt", headers: [("Range", "bytes=500-")])
            #expect(unsatisfiable.status == 416 && unsatisfiable.header("Content-Range") == "bytes */100")
            let index = try await client.request("GET", "/static/")
            #expect(index.header("Content-Type") == "text/html; charset=utf-8" && index.bodyText == "<h1>home</h1>")
            let head = try await client.request("HEAD", "/static/sub/data.txt")
            #expect(head.header("Content-Length") == "100")
            #expect(try await client.request("GET", "/static/../pulse-outside-\(root.hashValue).txt").status == 404)
            #expect(try await client.request("GET", "/static/%2e%2e/pulse-outside-\(root.hashValue).txt").status == 404)
            #expect(try await client.request("GET", "/static/escape.txt").status == 404)
            #expect(try await client.request("GET", "/static/nothing.txt").status == 404)
        }
    }
}
