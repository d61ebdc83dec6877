import PulseHTTP
import PulseTestSupport
import Testing
@testable import PulseWebSocket

/// The session's inbound queue: messages that pile up while the application is busy keep their
/// order (past the queue's compaction point), and a consumer task that is cancelled while
/// waiting sees the sequence end instead of hanging.
@Suite(.timeLimit(.minutes(1))) struct InboundQueueTests {
    @Test func queuedMessagesKeepTheirOrderAndCancellationEndsTheSequence() async throws {
        let count = 150
        var router = Router()
        router.webSocket("/slow", configuration: testConfiguration(deflate: false)) { session in
            try? await Task.sleep(for: .milliseconds(300))  // the peer's messages queue up meanwhile
            var echoed = 0
            for await message in session.messages {
                try? await session.send(message)
                echoed += 1
                if echoed == count { break }
            }
            let waiter = Task { () -> Int in
                var more = 0
                for await _ in session.messages { more += 1 }
                return more
            }
            try? await Task.sleep(for: .milliseconds(100))
            waiter.cancel()
            let more = await waiter.value
            try? await session.send(.text("ended after \(more)"))
        }
        try await withLiveHTTPServer(responder: router) { _, port in
            let client = try await WebSocketClient.connect(port: port, path: "/slow")
            let sent = (0..<count).map { WebSocketMessage.binary([UInt8(truncatingIfNeeded: $0), UInt8($0 >> 8)]) }
            for message in sent { try await client.send(message) }
            let received = try await collect(client, count: count + 1)
            #expect(Array(received.prefix(count)) == sent)
            #expect(received.last == .text("ended after 0"))
            _ = await client.close()
        }
    }
}
