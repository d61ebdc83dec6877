import PulseHTTP
import PulseSystem
import PulseTestSupport
import Synchronization
import Testing

@Suite struct LiveTimeoutTests {
    static let configuration = HTTPServerConfiguration(
        eventLoopCount: 2,
        timeouts: .init(headerRead: .milliseconds(300), bodyRead: .milliseconds(300), idle: .milliseconds(400), write: .seconds(5))
    )

    @Test func slowHeadGets408ThenClose() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("GET /health HTTP/1.1\r\nHost")
            let start = ContinuousClock.now
            let response = try await client.readResponse(timeout: .seconds(5))
            #expect(response.status == 408)
            #expect(ContinuousClock.now - start >= .milliseconds(200))
            #expect(await client.waitForClose())
        }
    }

    @Test func slowBodyGets408ThenClose() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
            #expect(try await client.readResponse(timeout: .seconds(5)).status == 408)
            #expect(await client.waitForClose())
        }
    }

    @Test func idleKeepAliveIsClosedQuietly() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let client = try HTTPTestClient(port: port)
            let start = ContinuousClock.now  // before the request: the idle clock starts after its response
            #expect(try await client.request("GET", "/health").status == 200)
            let rest = try await client.readUntilClosed(timeout: .seconds(5))
            #expect(rest.isEmpty)  // no 408 for an idle connection
            #expect(ContinuousClock.now - start >= .milliseconds(400))
        }
    }

    /// Slowloris: many clients dribbling headers hold only their own sockets; a normal client is
    /// served at once, and each dribbler is cut off at the header deadline even while it keeps sending.
    @Test func slowlorisHoldsOnlyItsOwnSocket() async throws {
        try await withLiveHTTPServer(configuration: Self.configuration, responder: LiveBasicsTests.router()) { _, port in
            let dribblers = try (0..<50).map { _ in try HTTPTestClient(port: port) }
            for client in dribblers { try client.send("GET /health HTTP/1.1\r\n") }
            for step in 0..<3 {
                for client in dribblers { try? client.send("X-Drip-\(step): 1\r\n") }
                let normal = try HTTPTestClient(port: port)
                #expect(try await normal.request("GET", "/health", timeout: .seconds(2)).status == 200)
                try await Task.sleep(for: .milliseconds(100))
            }
            for client in dribblers {
                #expect(await client.waitForClose(timeout: .seconds(5)))
            }
        }
    }

    /// A client that stops reading is cut off after the write timeout, and the streaming
    /// handler's writer fails instead of queueing without bound.
    @Test func stalledReaderIsClosedAfterWriteTimeout() async throws {
        var configuration = Self.configuration
        configuration.timeouts.write = .milliseconds(300)
        let writerFailed = Atomic<Bool>(false)
        let written = Atomic<Int>(0)
        var router = Router()
        router.get("/endless") { _ in
            HTTPResponse(body: .stream { writer in
                let chunk = [UInt8](repeating: 0x41, count: 1 << 20)
                do {
                    for _ in 0..<1024 {  // at most 1 GiB, far more than the socket buffers hold
                        try await writer.write(chunk)
                        written.wrappingAdd(1, ordering: .relaxed)
                    }
                } catch {
                    writerFailed.store(true, ordering: .relaxed)
                    throw error
                }
            })
        }
        try await withLiveHTTPServer(configuration: configuration, responder: router) { server, port in
            let client = try HTTPTestClient(port: port)
            try client.send("GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
            var waited = 0
            while (server.connectionCount > 0 || !writerFailed.load(ordering: .relaxed)) && waited < 500 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(server.connectionCount == 0)
            let failed = writerFailed.load(ordering: .relaxed)
            let chunks = written.load(ordering: .relaxed)
            #expect(failed)
            #expect(chunks < 1024)
        }
    }
}
