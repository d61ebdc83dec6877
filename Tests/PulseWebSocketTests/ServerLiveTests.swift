import PulseHTTP
import PulseTestSupport
import Testing
@testable import PulseWebSocket

/// Live tests on 127.0.0.1:0: our server against our client and the Python `websockets` client.
@Suite(.timeLimit(.minutes(2))) struct ServerLiveTests {
    @Test(arguments: [false, true]) func ourClientEcho(deflate: Bool) async throws {
        let log = SessionLog()
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(), log: log)) { _, port in
            let client = try await WebSocketClient.connect(
                port: port, path: "/echo", configuration: .init(deflate: deflate ? PerMessageDeflateOptions() : nil))
            #expect((client.deflate != nil) == deflate)
            let messages: [WebSocketMessage] = [.text("hi"), .binary(Array(repeating: 7, count: 100_000)), .text(String(repeating: "ab", count: 30_000))]
            for m in messages { try await client.send(m, fragmentSize: 4096) }
            client.ping([9])
            #expect(try await collect(client, count: 3) == messages)
            #expect(await client.close() == .normalClosure)
            let session = try await log.wait(for: 1)[0]
            try await eventually { session.closeStatus != nil }
            #expect(session.closeStatus?.code == .normalClosure)
        }
    }

    @Test func pythonClientEchoFragmentationDeflate() async throws {
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(maxMessageSize: 1 << 22), log: SessionLog())) { _, port in
            let peer = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "echo"])
            #expect(try await peer.line() == "EXT PerMessageDeflate")
            for _ in 0..<4 { #expect(try await peer.line() == "ECHO True") }
            #expect(try await peer.line() == "FRAG fragmented")
            #expect(try await peer.line() == "CLOSE 1000")
        }
    }

    @Test func invalidUTF8Closes1007() async throws {
        let log = SessionLog()
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(deflate: false), log: log)) { _, port in
            let client = try await WebSocketClient.connect(port: port, path: "/echo")
            var frame: [UInt8] = []
            WebSocketFrameEncoder.encode(opcode: .text, payload: [0x61, 0xED, 0xA0, 0x80], maskKey: (1, 2, 3, 4), into: &frame)
            client.sendRaw(frame)
            await #expect(throws: WebSocketClientError.closed(.invalidPayloadData)) { _ = try await collect(client, count: 1) }
            #expect(try await log.wait(for: 1)[0].closeStatus?.code == .invalidPayloadData)
        }
    }

    @Test func messagesBeforeABadFrameAreAnsweredBeforeTheClose() async throws {
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(deflate: false), log: SessionLog())) { _, port in
            let client = try await WebSocketClient.connect(port: port, path: "/echo")
            var bytes: [UInt8] = []
            WebSocketFrameEncoder.encode(opcode: .text, payload: Array("first".utf8), maskKey: (5, 6, 7, 8), into: &bytes)
            bytes += [0x83, 0x80, 0, 0, 0, 0]  // reserved opcode 3 in the same write
            client.sendRaw(bytes)
            var received: [WebSocketMessage] = []
            await #expect(throws: WebSocketClientError.closed(.protocolError)) {
                for try await message in client.messages { received.append(message) }
            }
            #expect(received == [.text("first")])
        }
    }

    @Test func oversizedMessageCloses1009() async throws {
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(maxMessageSize: 1000), log: SessionLog())) { _, port in
            let peer = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "oversize"])
            #expect(try await peer.line() == "CLOSE 1009")
        }
    }

    @Test func broadcastReachesEverySubscriberOfTheTopic() async throws {
        let hub = WebSocketHub()
        let log = SessionLog()
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(), log: log, hub: hub)) { _, port in
            var jobs: [WebSocketClient] = []
            for _ in 0..<3 { jobs.append(try await WebSocketClient.connect(port: port, path: "/topic/jobs")) }
            let other = try await WebSocketClient.connect(port: port, path: "/topic/other")
            _ = try await log.wait(for: 4)
            try await eventually { hub.subscriberCount(of: "jobs") == 3 }
            #expect(hub.publish(.text("{\"job\":1,\"progress\":50}"), to: "jobs") == 3)
            #expect(hub.publish(.text("other"), to: "other") == 1)
            for client in jobs { #expect(try await collect(client, count: 1) == [.text("{\"job\":1,\"progress\":50}")]) }
            #expect(try await collect(other, count: 1) == [.text("other")])
            await jobs[0].close()
            try await eventually { hub.subscriberCount(of: "jobs") == 2 }  // closed sessions leave
            for c in jobs.dropFirst() + [other] { await c.close() }
        }
    }

    @Test func slowReaderIsCutOffAndOthersUnaffected() async throws {
        let hub = WebSocketHub()
        let log = SessionLog()
        let config = testConfiguration(deflate: false, maxSendQueue: 256 * 1024)
        try await withLiveHTTPServer(responder: echoRouter(config, log: log, hub: hub)) { server, port in
            let slow = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "slow"])
            #expect(try await slow.line() == "OPEN")
            let slowSession = try await log.wait(for: 1)[0]
            let fast = try await WebSocketClient.connect(port: port, path: "/topic/jobs")
            let fastSession = try await log.wait(for: 2)[1]
            try await eventually { hub.subscriberCount(of: "jobs") == 2 }
            let chunk = WebSocketMessage.binary([UInt8](repeating: 1, count: 32 * 1024))
            let received = Counter()
            let reader = Task {
                for try await _ in fast.messages where received.increment() == 1000 { break }
            }
            var published = 0
            func publishPaced() async throws {
                hub.publish(chunk, to: "jobs")
                published += 1
                // Pace on the fast reader only; the slow one's queue must hit its bound.
                let target = published
                try await eventually { target - received.value <= 4 }
            }
            while slowSession.closeStatus == nil && published < 1000 {
                try await publishPaced()
                #expect(slowSession.queuedByteCount <= 256 * 1024)
            }
            #expect(slowSession.closeStatus?.code == .policyViolation)
            #expect(published < 1000)
            // Its socket is dropped at once (not after the 30 s write timeout), queued bytes and all.
            try await eventually { server.connectionCount == 1 }
            while published < 1000 { try await publishPaced() }
            try await reader.value
            #expect(received.value == 1000)
            #expect(fastSession.closeStatus == nil)
            await fast.close()
        }
    }

    @Test func deadPeerIsDetectedByKeepalive() async throws {
        let log = SessionLog()
        // A pong timeout with room for a busy machine: the live client must not be mistaken for
        // a dead one when the whole test suite runs in parallel (it was at 300 ms).
        let config = testConfiguration(ping: .milliseconds(200), pongTimeout: .seconds(1))
        try await withLiveHTTPServer(responder: echoRouter(config, log: log)) { _, port in
            let silent = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "silent"])
            #expect(try await silent.line() == "OPEN")
            _ = try await log.wait(for: 1)  // the silent peer's session comes first
            // A live client answering pings stays connected meanwhile.
            let live = try await WebSocketClient.connect(port: port, path: "/echo")
            let sessions = try await log.wait(for: 2)
            try await eventually(timeout: .seconds(5)) { sessions[0].closeStatus != nil }
            #expect(sessions[0].closeStatus?.reason == "peer stopped answering pings")
            try await live.send(.text("still here"))
            #expect(try await collect(live, count: 1) == [.text("still here")])
            #expect(sessions[1].closeStatus == nil)
            await live.close()
        }
    }

    @Test func gracefulShutdownCloses1001() async throws {
        let log = SessionLog()
        let server = HTTPServer(configuration: .init(port: 0, eventLoopCount: 2), responder: echoRouter(testConfiguration(), log: log))
        let port = try server.start()
        let ours = try await WebSocketClient.connect(port: port, path: "/echo")
        let python = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "wait-close"])
        #expect(try await python.line() == "OPEN")
        _ = try await log.wait(for: 2)
        await server.shutdown()
        #expect(try await python.line() == "CLOSE 1001")
        try await eventually { ours.closeStatus != nil }
        #expect(ours.closeStatus?.code == .goingAway)
    }

    @Test func abruptDisconnectLeavesOthersAlone() async throws {
        let log = SessionLog()
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(), log: log)) { _, port in
            let steady = try await WebSocketClient.connect(port: port, path: "/echo")
            _ = try await log.wait(for: 1)  // the steady session comes first
            for _ in 0..<5 {
                let peer = try PythonPeer(script: PythonScripts.clientScenarios, arguments: [String(port), "abrupt"])
                #expect(try await peer.line() == "GONE")
            }
            let sessions = try await log.wait(for: 6)
            try await eventually { sessions.dropFirst().allSatisfy { $0.closeStatus?.code == .abnormalClosure } }
            try await steady.send(.text("unaffected"))
            #expect(try await collect(steady, count: 1) == [.text("unaffected")])
            await steady.close()
        }
    }

    @Test func badUpgradeRequestsGetClearStatuses() async throws {
        try await withLiveHTTPServer(responder: echoRouter(testConfiguration(), log: SessionLog())) { _, port in
            let base = "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            let cases: [(String, Int)] = [
                (base + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n", 426),
                (base + "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
                ("GET /echo HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
                // A valid upgrade sent as HTTP/1.0 is refused (RFC 6455 §4.1), not answered 101.
                ("GET /echo HTTP/1.0\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
            ]
            for (request, status) in cases {
                let client = try HTTPTestClient(port: port)
                try client.send(request)
                let response = try await client.readResponse()
                #expect(response.status == status)
                if status == 426 { #expect(response.header("Sec-WebSocket-Version") == "13") }
            }
        }
    }
}
