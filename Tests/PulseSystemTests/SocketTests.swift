import Glibc
import Testing
@testable import PulseSystem

/// Listening sockets and the client socket over real loopback TCP.
@Suite struct SocketTests {
    @Test func clientTalksToAListenerBothWays() throws {
        let (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { Socket.close(listener) }
        #expect(port > 0)
        #expect(try Socket.localAddress(listener).port == port)

        let client = try ClientSocket(host: "127.0.0.1", port: port, timeout: .seconds(2))
        defer { client.close() }
        #expect(client.remote == SocketAddress(host: "127.0.0.1", port: port))

        // The listener is non-blocking: poll until the connection is there.
        var accepted: Int32 = -1
        for _ in 0..<200 where accepted < 0 {
            if case .processed(let connection) = try Socket.accept(listener) { accepted = connection.fd } else { usleep(5_000) }
        }
        try #require(accepted >= 0)
        defer { Socket.close(accepted) }

        try client.writeAll("ping")
        var buffer = [UInt8](repeating: 0, count: 16)
        var received: [UInt8] = []
        for _ in 0..<200 where received.count < 4 {
            let result = try buffer.withUnsafeMutableBytes { try Socket.read(accepted, into: $0) }
            if case .processed(let n) = result { received += buffer[0..<n] } else { usleep(5_000) }
        }
        #expect(String(decoding: received, as: UTF8.self) == "ping")

        _ = try Array("pong".utf8).withUnsafeBytes { try Socket.write(accepted, from: $0) }
        #expect(String(decoding: try client.read(max: 16, timeout: .seconds(2)), as: UTF8.self) == "pong")
    }

    @Test func aClosedPortIsRefusedWithItsErrno() throws {
        // Bind then close to find a port nobody listens on.
        let (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        Socket.close(listener)
        #expect(throws: SystemError(errno: ECONNREFUSED, function: "connect")) {
            _ = try ClientSocket(host: "127.0.0.1", port: port, timeout: .seconds(1))
        }
    }

    @Test func readingAQuietSocketTimesOut() throws {
        let (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { Socket.close(listener) }
        let client = try ClientSocket(host: "127.0.0.1", port: port, timeout: .seconds(2))
        defer { client.close() }
        #expect(throws: SystemError.timedOut("recv")) { _ = try client.read(timeout: .milliseconds(50)) }
        #expect(try client.tryRead() == nil)
        client.close()
        client.close()  // idempotent
    }

    @Test func listeningTwiceOnOnePortFailsWithEADDRINUSE() throws {
        let (listener, port) = try Socket.listen(host: "127.0.0.1", port: 0)
        defer { Socket.close(listener) }
        #expect(throws: SystemError.self) { _ = try Socket.listen(host: "127.0.0.1", port: port) }
    }
}
