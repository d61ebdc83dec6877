import Testing
@testable import PulseWebSocket

/// Our client against the independent Python `websockets` server.
@Suite(.timeLimit(.minutes(1))) struct ClientLiveTests {
    @Test func echoAgainstPythonServer() async throws {
        let peer = try PythonPeer(script: PythonScripts.echoServer, arguments: ["plain"])
        let port = try await peer.port()
        let client = try await WebSocketClient.connect(port: port, path: "/echo")
        #expect(client.deflate == nil)
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let sent: [WebSocketMessage] = [.text("hello"), .text("ünïcödé 🎉"), .binary(big), .text("")]
        for message in sent { try await client.send(message) }
        try await client.send(.text("fragmented across many frames"), fragmentSize: 3)
        client.ping([1, 2, 3])
        #expect(try await collect(client, count: 5) == sent + [.text("fragmented across many frames")])
        #expect(await client.close() == .normalClosure)
    }

    @Test func deflateAgainstPythonServer() async throws {
        let peer = try PythonPeer(script: PythonScripts.echoServer, arguments: ["deflate"])
        let client = try await WebSocketClient.connect(
            port: try await peer.port(), configuration: .init(maxMessageSize: 1 << 22, deflate: .init()))
        #expect(client.deflate != nil)
        let text = String(repeating: "compressible pulse job progress ", count: 5000)
        try await client.send(.text(text))
        try await client.send(.text(text), fragmentSize: 1000)
        try await client.send(.binary([1, 2, 3]))
        #expect(try await collect(client, count: 3) == [.text(text), .text(text), .binary([1, 2, 3])])
        #expect(await client.close(code: .goingAway) == .goingAway)
    }

    @Test func refusedHandshakeIsAClearError() async throws {
        // The Python server answers 426 to a second, wrong Sec-WebSocket-Version header;
        // port 1 has no listener at all.
        let peer = try PythonPeer(script: PythonScripts.echoServer, arguments: ["plain"])
        let port = try await peer.port()
        await #expect(throws: WebSocketClientError.self) {
            _ = try await WebSocketClient.connect(port: port, headers: [("Sec-WebSocket-Version", "12")])
        }
        await #expect(throws: WebSocketClientError.self) { _ = try await WebSocketClient.connect(port: 1) }
    }
}
