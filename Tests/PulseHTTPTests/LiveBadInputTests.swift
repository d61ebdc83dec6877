import PulseHTTP
import PulseSystem
import PulseTestSupport
import Testing

@Suite struct LiveBadInputTests {
    static let configuration = HTTPServerConfiguration(
        eventLoopCount: 2,
        limits: .init(maxRequestLineLength: 256, maxHeaderBytes: 1024, maxHeaderCount: 20, maxBodyBytes: 1000)
    )

    /// Every smuggling and malformed-request case the parser tests cover, live: the answer is
    /// the right status, then the connection closes; a bystander connection keeps working.
    @Test(arguments: ParserTests.refused)
    func refusedAndClosed(testCase: (String, String, Int)) async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let bystander = try HTTPTestClient(port: port)
            #expect(try await bystander.request("GET", "/health").status == 200)
            let client = try HTTPTestClient(port: port)
            try client.send(testCase.1 + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == testCase.2, "\(testCase.0)")
            #expect(response.header("Connection") == "close")
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(await client.waitForClose(), "\(testCase.0)")
            #expect(try await bystander.request("GET", "/health").status == 200)
        }
    }

    @Test func sizeLimits() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let cases: [(String, Int)] = [
                ("GET /" + String(repeating: "a", count: 300) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 2000) + "\r\n\r\n", 431),
                ("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<30).map { "X-\($0): 1\r\n" }.joined() + "\r\n", 431),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", 413),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3E9\r\n", 413),
            ]
            for (request, status) in cases {
                let client = try HTTPTestClient(port: port)
                try client.send(request)
                #expect(try await client.readResponse().status == status)
                #expect(await client.waitForClose())
            }
            // A body at the limit is fine.
            let ok = try HTTPTestClient(port: port)
            #expect(try await ok.request("POST", "/echo", body: [UInt8](repeating: 0x61, count: 1000)).body.count == 1000)
        }
    }

    @Test func garbageTruncationAndAbruptDisconnectsLeaveOthersAlone() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { server, port in
            let bystander = try HTTPTestClient(port: port)
            #expect(try await bystander.request("GET", "/health").status == 200)
            var generator = SystemRandomNumberGenerator()
            for round in 0..<40 {
                let client = try HTTPTestClient(port: port)
                switch round % 4 {
                case 0:  // random garbage
                    try client.send((0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) })
                case 1:  // truncated head, then gone
                    try client.send("GET /health HTTP/1.1\r\nHo")
                case 2:  // truncated body, then gone
                    try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
                default:  // a request, then gone before reading the answer
                    try client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
                }
                client.socket.close()
            }
            #expect(try await bystander.request("GET", "/users/9").bodyText == "user 9")
            // Every abandoned connection is cleaned up (only the bystander remains).
            var waited = 0
            while server.connectionCount > 1 && waited < 200 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test func responseSplittingIsBlocked() async throws {
        let responder = ClosureResponder { _ in
            HTTPResponse(headers: ["X-Evil": "a\r\nSet-Cookie: stolen=1", "X-Fine": "yes"], body: .bytes(Array("x".utf8)))
        }
        try await withLiveHTTPServer(responder: responder) { _, port in
            let response = try await HTTPTestClient(port: port).request("GET", "/")
            #expect(response.header("Set-Cookie") == nil)
            #expect(response.header("X-Evil") == nil)
            #expect(response.header("X-Fine") == "yes")
        }
    }
}
