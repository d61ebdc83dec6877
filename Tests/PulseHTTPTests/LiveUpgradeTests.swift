import PulseHTTP
import PulseSystem
import PulseTestSupport
import Synchronization
import Testing

/// An upgrade handler that echoes bytes upper-cased, answers "tick" from a timer, writes from
/// another task on "async", and says "bye" on server shutdown.
final class EchoUpgradeHandler: HTTPUpgradeHandler, @unchecked Sendable {
    let events = Mutex<[String]>([])

    func log(_ event: String) { events.withLock { $0.append(event) } }

    func upgraded(_ connection: UpgradedConnection) {
        log("upgraded")
        connection.write(Array("hello\n".utf8))
    }

    func received(_ bytes: [UInt8], on connection: UpgradedConnection) {
        let text = String(decoding: bytes, as: UTF8.self)
        log("received \(text)")
        if text.contains("timer") {
            connection.schedule(after: .milliseconds(50)) { connection.write(Array("tick\n".utf8)) }
        } else if text.contains("async") {
            Task.detached { connection.write(Array("from task\n".utf8)) }
        } else if text.contains("big") {
            connection.write([UInt8](repeating: 0x7A, count: 32 << 20))
            self.log("queued \(connection.queuedByteCount > 0)")
        } else if text.contains("quit") {
            connection.close()
        } else {
            connection.write(Array(text.uppercased().utf8))
        }
    }

    func writeQueueDrained(on connection: UpgradedConnection) { log("drained") }

    func serverShuttingDown(on connection: UpgradedConnection) {
        log("shutdown")
        connection.write(Array("bye\n".utf8))
        connection.close()
    }

    func closed(error: (any Error)?) { log("closed") }
}

final class CountingObserver: HTTPServerObserver {
    let counts = Mutex<[String: Int]>([:])
    let records = Mutex<[HTTPRequestRecord]>([])
    func bump(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
    func connectionOpened() { bump("open") }
    func connectionClosed() { bump("close") }
    func requestFinished(_ record: HTTPRequestRecord) { records.withLock { $0.append(record) } }
    func upgradedConnectionOpened() { bump("upgradedOpen") }
    func upgradedConnectionClosed() { bump("upgradedClose") }
}

@Suite struct LiveUpgradeTests {
    static func router(_ handler: EchoUpgradeHandler) -> Router {
        var router = Router()
        router.get("/upgrade") { _ in
            HTTPResponse(status: .switchingProtocols, headers: ["Upgrade": "echo", "Connection": "Upgrade"], upgrade: handler)
        }
        router.get("/items/:id") { _ in .text("item") }
        return router
    }

    @Test func upgradeHandsOverTheConnection() async throws {
        let handler = EchoUpgradeHandler()
        let observer = CountingObserver()
        try await withLiveHTTPServer(responder: Self.router(handler), observer: observer) { _, port in
            let client = try HTTPTestClient(port: port)
            // Bytes right after the head must reach the handler too.
            try client.send("GET /upgrade HTTP/1.1\r\nHost: x\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nearly")
            let response = try await client.readResponse()
            #expect(response.status == 101)
            #expect(response.header("Upgrade") == "echo")
            var received: [UInt8] = []
            func readUntil(_ text: String) async throws -> String {
                while !String(decoding: received, as: UTF8.self).contains(text) {
                    let bytes = try await client.readSome(timeout: .seconds(5))
                    if bytes.isEmpty { break }
                    received += bytes
                }
                return String(decoding: received, as: UTF8.self)
            }
            #expect(try await readUntil("hello\nEARLY").contains("hello\nEARLY"))
            try client.send("timer")
            #expect(try await readUntil("tick").contains("tick"))
            try client.send("async")
            #expect(try await readUntil("from task").contains("from task"))
            try client.send("big")
            var total = 0
            while total < 32 << 20 {
                let chunk = try await client.readSome(timeout: .seconds(5))
                if chunk.isEmpty { break }
                total += chunk.count
            }
            #expect(total == 32 << 20)
            try client.send("quit")
            #expect(await client.waitForClose())
            client.socket.close()  // the server lingers until the peer closes too
            try await Task.sleep(for: .milliseconds(100))
            let events = handler.events.withLock { $0 }
            #expect(events.first == "upgraded")
            #expect(events.contains("received early"))
            #expect(events.contains("queued true"))
            #expect(events.contains("drained"))
            #expect(events.last == "closed")
            #expect(observer.counts.withLock { $0["upgradedOpen"] } == 1)
            #expect(observer.counts.withLock { $0["upgradedClose"] } == 1)
        }
    }

    @Test func gracefulShutdownNotifiesUpgradedConnections() async throws {
        let handler = EchoUpgradeHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0, eventLoopCount: 1), responder: Self.router(handler))
        let port = try server.start()
        let client = try HTTPTestClient(port: port)
        try client.send("GET /upgrade HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await client.readResponse().status == 101)
        _ = try await client.readSome(timeout: .seconds(5))  // hello
        await server.shutdown()
        let rest = String(decoding: try await client.readUntilClosed(), as: UTF8.self)
        #expect(rest.contains("bye"))
        #expect(handler.events.withLock { $0.suffix(2) } == ["shutdown", "closed"])
    }

    @Test func observerSeesRequestsWithRoutePatterns() async throws {
        let observer = CountingObserver()
        try await withLiveHTTPServer(responder: Self.router(EchoUpgradeHandler()), observer: observer) { _, port in
            let client = try HTTPTestClient(port: port)
            _ = try await client.request("GET", "/items/12")
            _ = try await client.request("GET", "/missing")
            client.socket.close()
            try await Task.sleep(for: .milliseconds(100))
            let records = observer.records.withLock { $0 }
            #expect(records.count == 2)
            #expect(records.first?.routePattern == "/items/:id")
            #expect(records.first?.status == 200)
            #expect(records.first?.responseBodyBytes == 4)
            #expect(records.last?.status == 404 && records.last?.routePattern == nil)
            #expect(observer.counts.withLock { $0["open"] } == 1)
            #expect(observer.counts.withLock { $0["close"] } == 1)
        }
    }
}
