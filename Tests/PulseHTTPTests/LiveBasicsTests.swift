import PulseHTTP
import PulseSystem
import PulseTestSupport
import Testing

@Suite struct LiveBasicsTests {
    static func router() -> Router {
        var router = Router()
        router.get("/health") { _ in .text("ok") }
        router.get("/users/:id") { request in .text("user \(request.pathParameters["id"] ?? "?")") }
        router.get("/query") { request in .text("q=\(request.query("q") ?? "-")") }
        router.post("/echo") { request in .bytes(request.body, contentType: "application/octet-stream") }
        router.put("/echo") { request in .bytes(request.body, contentType: "application/octet-stream") }
        router.get("/stream") { _ in
            HTTPResponse(headers: ["Content-Type": "text/plain"], body: .stream { writer in
                for i in 0..<5 { try await writer.write("part\(i);") }
            })
        }
        router.get("/close") { _ in HTTPResponse(headers: ["Connection": "close"], body: .bytes(Array("bye".utf8))) }
        router.get("/fail") { _ in throw InternalFailure(secret: "db password is hunter2") }
        router.get("/teapot") { _ in throw HTTPError(HTTPStatus(code: 418, reasonPhrase: "I'm a teapot"), detail: "short and stout") }
        return router
    }

    struct InternalFailure: Error { var secret: String }

    @Test func getAndKeepAlive() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            let first = try await client.request("GET", "/health")
            #expect(first.status == 200)
            #expect(first.bodyText == "ok")
            #expect(first.header("Content-Length") == "2")
            #expect(first.header("Date") != nil)
            let second = try await client.request("GET", "/users/42")
            #expect(second.bodyText == "user 42")
            let query = try await client.request("GET", "/query?q=a%20b&x")
            #expect(query.bodyText == "q=a b")
            let echo = try await client.request("POST", "/echo", body: Array("hello".utf8))
            #expect(echo.bodyText == "hello")
        }
    }

    @Test func notFoundAndMethodNotAllowedAreProblems() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            let missing = try await client.request("GET", "/nope")
            #expect(missing.status == 404)
            #expect(missing.header("Content-Type") == "application/problem+json")
            #expect(missing.bodyText.contains("\"status\":404"))
            let wrongMethod = try await client.request("DELETE", "/echo")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "POST, PUT")
            let failing = try await client.request("GET", "/fail")
            #expect(failing.status == 500)
            #expect(!failing.bodyText.contains("hunter2"))
            #expect(!failing.bodyText.contains("InternalFailure"))
            let teapot = try await client.request("GET", "/teapot")
            #expect(teapot.status == 418 && teapot.bodyText.contains("short and stout"))
            // The connection survived all of that.
            #expect(try await client.request("GET", "/health").status == 200)
        }
    }

    @Test func headHasLengthButNoBody() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            let head = try await client.request("HEAD", "/users/7")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "6")
            // The next response must start right away: no body bytes were sent for HEAD.
            let next = try await client.request("GET", "/health")
            #expect(next.bodyText == "ok")
        }
    }

    @Test func http10ClosesUnlessKeepAlive() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let plain = try HTTPTestClient(port: port)
            try plain.send("GET /health HTTP/1.0\r\n\r\n")
            let response = try await plain.readResponse()
            #expect(response.bodyText == "ok")
            #expect(response.header("Connection") == "close")
            #expect(await plain.waitForClose())

            let kept = try HTTPTestClient(port: port)
            try kept.send("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().header("Connection") == "keep-alive")
            try kept.send("GET /users/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().bodyText == "user 1")

            // A streamed body on HTTP/1.0 is delimited by closing the connection.
            let streamed = try HTTPTestClient(port: port)
            try streamed.send("GET /stream HTTP/1.0\r\n\r\n")
            let body = try await streamed.readResponse()
            #expect(body.bodyText == "part0;part1;part2;part3;part4;")
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.header("Connection") == "close")
            #expect(await client.waitForClose())
            let handlerClose = try HTTPTestClient(port: port)
            #expect(try await handlerClose.request("GET", "/close").bodyText == "bye")
            #expect(await handlerClose.waitForClose())
        }
    }

    @Test func pipelinedResponsesComeBackInOrder() async throws {
        var router = Router()
        router.get("/slow/:ms") { request in
            let ms = Int(request.pathParameters["ms"]!)!
            try await Task.sleep(for: .milliseconds(ms))
            return .text("slept \(ms)")
        }
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try HTTPTestClient(port: port)
            let delays = [80, 0, 40, 5, 0, 20]
            try client.send(delays.map { "GET /slow/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
            for ms in delays {
                #expect(try await client.readResponse().bodyText == "slept \(ms)")
            }
        }
    }

    @Test func chunkedRequestAndStreamedResponse() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            let echo = try await client.readResponse()
            #expect(echo.bodyText == "hello world")
            #expect(echo.header("Content-Length") == "11")
            let stream = try await client.request("GET", "/stream")
            #expect(stream.header("Transfer-Encoding") == "chunked")
            #expect(stream.bodyText == "part0;part1;part2;part3;part4;")
            #expect(try await client.request("GET", "/health").bodyText == "ok")
        }
    }

    @Test func expectContinue() async throws {
        try await withLiveHTTPServer(responder: Self.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try await client.readResponse(interim: true)
            #expect(interim.status == 100)
            try client.send("data")
            #expect(try await client.readResponse().bodyText == "data")

            let other = try HTTPTestClient(port: port)
            try other.send("PUT /echo HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Length: 4\r\n\r\n")
            #expect(try await other.readResponse().status == 417)
            #expect(await other.waitForClose())
        }
    }
}
