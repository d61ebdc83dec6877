import PulseHTTP
import PulseSystem
import PulseTestSupport
import Synchronization
import Testing

@Suite struct LiveShutdownTests {
    @Test func gracefulShutdownFinishesInFlightAndStopsAccepting() async throws {
        // The slow handler finishes only after shutdown has begun, however loaded the machine is.
        let shutdownBegun = Atomic<Bool>(false)
        var router = Router()
        router.get("/slow") { _ in
            while !shutdownBegun.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(200))
            return .text("finished")
        }
        router.get("/health") { _ in .text("shutdown-test-marker") }
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0, eventLoopCount: 2, shutdownDeadline: .seconds(5)), responder: router)
        let port = try server.start()
        let idle = try HTTPTestClient(port: port)
        #expect(try await idle.request("GET", "/health").status == 200)
        let busy = try HTTPTestClient(port: port)
        try busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let shutdown = Task {
            shutdownBegun.store(true, ordering: .relaxed)
            await server.shutdown()
        }
        try await Task.sleep(for: .milliseconds(100))
        // Not accepting any more. (Another test's server may have been given the freed port
        // already, so the check is that *this* server does not answer.)
        let late = try? HTTPTestClient(port: port, timeout: .seconds(1))
        let lateResponse = try? await late?.request("GET", "/health", timeout: .seconds(1))
        #expect(lateResponse?.bodyText != "shutdown-test-marker")
        // The idle keep-alive connection was closed; the in-flight request completes, with close.
        #expect(await idle.waitForClose(timeout: .seconds(2)))
        let response = try await busy.readResponse(timeout: .seconds(5))
        #expect(response.bodyText == "finished")
        #expect(response.header("Connection") == "close")
        #expect(await busy.waitForClose())
        await shutdown.value
        #expect(server.connectionCount == 0)
    }

    @Test func shutdownDeadlineCutsOffStragglers() async throws {
        var router = Router()
        router.get("/forever") { _ in
            try? await Task.sleep(for: .seconds(30))
            return .text("late")
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0, eventLoopCount: 1, shutdownDeadline: .milliseconds(300)), responder: router)
        let port = try server.start()
        let client = try HTTPTestClient(port: port)
        try client.send("GET /forever HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(50))
        let start = ContinuousClock.now
        await server.shutdown()
        // Cut off, not awaited: far below the handler's 30 s (a loaded CI box needs slack).
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(await client.waitForClose(timeout: .seconds(2)))
    }

    @Test func signalWatcherDeliversSignals() async throws {
        let watcher = SignalWatcher(signals: [SIGUSR2])
        defer { watcher.cancel() }
        let received = Task { await watcher.wait() }
        try await Task.sleep(for: .milliseconds(50))
        kill(getpid(), SIGUSR2)
        #expect(await received.value == SIGUSR2)
    }
}

import Glibc
