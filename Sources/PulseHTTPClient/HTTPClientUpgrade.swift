import PulseHTTP
import PulseSystem
import Synchronization

/// A connection taken over by another protocol after `101 Switching Protocols` (WebSocket):
/// raw bytes both ways, one reader task and one writer task at a time. Reads and writes wait
/// without a deadline; `close()` (idempotent) ends a pending read with `connectionClosed`.
public final class HTTPClientUpgradedStream: Sendable {
    private let connection: HTTPClientConnection
    private let leftover: Mutex<[UInt8]>

    init(connection: HTTPClientConnection, leftover: [UInt8]) {
        self.connection = connection
        self.leftover = Mutex(leftover)
    }

    /// The next bytes from the server; empty at end of stream.
    public func read(max: Int = 64 * 1024) async throws(HTTPClientError) -> [UInt8] {
        let early = leftover.withLock { bytes -> [UInt8] in
            defer { bytes = [] }
            return bytes
        }
        if !early.isEmpty { return early }
        do { return try await connection.transport.read(max: max, deadline: UInt64.max, timeout: .requestTimeout) } catch {
            throw (error as? HTTPClientError) ?? .io("\(error)")
        }
    }

    public func write(_ bytes: [UInt8]) async throws(HTTPClientError) {
        do { try await connection.transport.write(bytes, deadline: UInt64.max, timeout: .requestTimeout) } catch {
            throw (error as? HTTPClientError) ?? .io("\(error)")
        }
    }

    public func close() { connection.close() }

    deinit { connection.close() }
}

/// What `HTTPClient.upgrade` got: the switched connection, or the server's ordinary answer.
public enum HTTPClientUpgrade: Sendable {
    case upgraded(HTTPClientResponse, HTTPClientUpgradedStream)
    case refused(HTTPClientResponse)
}

extension HTTPClient {
    /// Sends `request` with `Connection: Upgrade` and `Upgrade: protocolName` on a connection of
    /// its own (never pooled) and returns the stream when the server switches (101).
    /// Connect and request timeouts apply until the response head; no redirects are followed.
    public func upgrade(_ request: HTTPClientRequest, to protocolName: String) async throws(HTTPClientError) -> HTTPClientUpgrade {
        let overallDeadline = request.overallDeadline(configuration)
        let url = try ClientURL(request.url)
        let bytes = try serialize(method: request.method, url: url, headers: request.headers, body: request.body, upgrade: protocolName)
        let connection: HTTPClientConnection
        do { connection = try await connect(url, overallDeadline: overallDeadline) } catch {
            throw (error as? HTTPClientError) ?? .io("\(error)")
        }
        let (deadline, timeout) = Self.earlier(monotonicNanos() &+ configuration.timeouts.request.nanoseconds, .requestTimeout,
                                               overallDeadline, .overallTimeout)
        let exchange: HTTPClientConnection.Exchange
        do throws(HTTPClientConnection.Failure) {
            exchange = try await connection.exchange(bytes, method: request.method, maximumHeadBytes: configuration.maximumHeadBytes,
                                                     maximumBodyBytes: configuration.maximumResponseBytes, deadline: deadline, timeout: timeout)
        } catch {
            connection.close()
            throw error.error
        }
        guard exchange.head.status == 101 else {
            connection.close()
            return .refused(try finish(exchange, url: url))
        }
        let head = HTTPClientResponse(status: .switchingProtocols, headers: exchange.head.headers, body: [], url: url, redirects: 0)
        return .upgraded(head, HTTPClientUpgradedStream(connection: connection, leftover: connection.takeBuffered()))
    }
}
