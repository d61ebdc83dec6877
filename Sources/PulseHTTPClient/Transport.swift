import Glibc
import PulseSystem

/// A byte stream to a server: plain TCP or TLS over a `LoopSocket`. Used by one task at a
/// time; every call takes the monotonic deadline and the error to throw when it passes.
protocol ClientTransport: AnyObject, Sendable {
    /// Reads what is available (waiting for readiness); an empty result means end of stream.
    func read(max: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8]
    func write(_ bytes: [UInt8], deadline: UInt64, timeout: HTTPClientError) async throws
    /// Still connected and with nothing unexpected to read (checked before reuse).
    func isReusable() -> Bool
    func close()
}

/// Plain TCP.
final class PlainTransport: ClientTransport, @unchecked Sendable {
    let socket: LoopSocket

    init(socket: LoopSocket) { self.socket = socket }

    func read(max: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let result = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) in try Socket.read(socket.fd, into: raw) }
            }
            switch result {
            case .success(.processed(let n)):
                buffer.removeSubrange(n...)
                return buffer
            case .success(.wouldBlock):
                try await socket.wait(for: Epoll.readable, deadline: deadline, timeout: timeout)
            case .failure(let error):
                if error.errno == ECONNRESET { throw HTTPClientError.connectionClosed }
                throw HTTPClientError.io(error.description)
            }
        }
    }

    func write(_ bytes: [UInt8], deadline: UInt64, timeout: HTTPClientError) async throws {
        var offset = 0
        while offset < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(SystemError) in try Socket.write(socket.fd, from: UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            }
            switch result {
            case .success(.processed(let n)): offset += n
            case .success(.wouldBlock): try await socket.wait(for: Epoll.writable, deadline: deadline, timeout: timeout)
            case .failure(let error):
                if error.errno == EPIPE || error.errno == ECONNRESET { throw HTTPClientError.connectionClosed }
                throw HTTPClientError.io(error.description)
            }
        }
    }

    func isReusable() -> Bool { socket.isReusable() }

    func close() { socket.close() }
}
