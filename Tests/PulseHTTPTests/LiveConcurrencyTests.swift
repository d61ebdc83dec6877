import PulseHTTP
import PulseSystem
import PulseTestSupport
import Testing

@Suite struct LiveConcurrencyTests {
    @Test func thousandConcurrentConnections() async throws {
        ResourceLimits.raiseOpenFileLimit(to: 8192)
        let configuration = HTTPServerConfiguration(eventLoopCount: 2, maxConnections: 5000)
        try await withLiveHTTPServer(configuration: configuration, responder: LiveBasicsTests.router()) { server, port in
            var clients: [HTTPTestClient] = []
            for i in 0..<1000 {
                clients.append(try HTTPTestClient(port: port))
                if i % 50 == 0 { await Task.yield() }  // let other tests' tasks run meanwhile
            }
            for (index, client) in clients.enumerated() { try client.send("GET /users/\(index) HTTP/1.1\r\nHost: x\r\n\r\n") }
            for (index, client) in clients.enumerated() {
                #expect(try await client.readResponse().bodyText == "user \(index)")
            }
            #expect(server.connectionCount == 1000)
            // Every connection still works for a second round.
            for (index, client) in clients.enumerated() where index % 10 == 0 {
                #expect(try await client.request("GET", "/health").status == 200)
            }
            for client in clients { client.socket.close() }
        }
    }

    /// A handler that takes 2 s delays no other connection.
    @Test func slowHandlerIsolation() async throws {
        var router = Router()
        router.get("/slow") { _ in
            try await Task.sleep(for: .seconds(2))
            return .text("slow")
        }
        router.get("/fast") { _ in .text("fast") }
        // One loop: the slow handler and the fast requests share it, and still do not wait on each other.
        let configuration = HTTPServerConfiguration(eventLoopCount: 1)
        try await withLiveHTTPServer(configuration: configuration, responder: router) { _, port in
            let slowClients = try (0..<4).map { _ in try HTTPTestClient(port: port) }
            for client in slowClients { try client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n") }
            try await Task.sleep(for: .milliseconds(50))
            let start = ContinuousClock.now
            let fast = try HTTPTestClient(port: port)
            for _ in 0..<20 { #expect(try await fast.request("GET", "/fast").bodyText == "fast") }
            let elapsed = ContinuousClock.now - start
            // The fast requests were all answered while every slow one was still running.
            for client in slowClients { #expect(try client.socket.tryRead() == nil, "a slow response came first") }
            #expect(elapsed < .milliseconds(1900), "fast requests waited \(elapsed)")
            for client in slowClients { #expect(try await client.readResponse(timeout: .seconds(10)).bodyText == "slow") }
        }
    }

    @Test func connectionLimitAnswers503() async throws {
        let configuration = HTTPServerConfiguration(eventLoopCount: 1, maxConnections: 3)
        try await withLiveHTTPServer(configuration: configuration, responder: LiveBasicsTests.router()) { server, port in
            let held = try (0..<3).map { _ in try HTTPTestClient(port: port) }
            for client in held { #expect(try await client.request("GET", "/health").status == 200) }
            let extra = try HTTPTestClient(port: port)
            try extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try await extra.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(await extra.waitForClose())
            // Closing one held connection makes room again.
            held[0].socket.close()
            var waited = 0
            while server.connectionCount >= 3 && waited < 200 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            let again = try HTTPTestClient(port: port)
            #expect(try await again.request("GET", "/health").status == 200)
        }
    }
}
