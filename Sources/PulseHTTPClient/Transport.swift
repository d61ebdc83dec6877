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
    /// Reads land here first, so each read copies out only what arrived (no 64 KiB zero-fill
    /// per read). Only the one reading task touches it.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(socket: LoopSocket) { self.socket = socket }

    deinit { scratch.deallocate() }

    func read(max: Int, deadline: UInt64, timeout: HTTPClientError) async throws -> [UInt8] {
        let window = UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(max, scratch.count)])
        while true {
            switch Result(catching: { () throws(SystemError) in try Socket.read(socket.fd, into: window) }) {
            case .success(.processed(let n)):
                return Array(UnsafeRawBufferPointer(rebasing: window[..<n]))
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
