import PulseHTTP
import PulseTestSupport
import Testing

@Suite struct LiveBasicsTests {
    static func router() -> Router {
        var router = Router()
        router.get("/health") { _ in .text("ok") }
        router.get("/users/:id") { request in .text("user \(request.pathParameters["id"] ?? "?")") }
        router.post("/echo") { request in .bytes(request.body, contentType: "application/octet-stream") }
        return router
    }

    @Test func getAndKeepAlive() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            let first = try client.request("GET", "/health")
            #expect(first.status == 200)
            #expect(first.bodyText == "ok")
            #expect(first.header("Content-Length") == "2")
            #expect(first.header("Date") != nil)
            let second = try client.request("GET", "/users/42")
            #expect(second.status == 200)
            #expect(second.bodyText == "user 42")
            let echo = try client.request("POST", "/echo", body: Array("hello".utf8))
            #expect(echo.bodyText == "hello")
        }
    }
}
