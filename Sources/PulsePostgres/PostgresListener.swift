import CLibPQ
import Foundation

/// A `NOTIFY` received on a channel this process listens to.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// Backend process id of the sender.
    public let processID: Int32
}

/// LISTEN on a dedicated connection, as an `AsyncSequence` of notifications.
///
/// The connection is re-opened with backoff if it breaks, and the channels are
/// listened to again; `onReconnect` tells the consumer that notifications may have been
/// missed in between (so it can re-sync). Ending the iteration closes the connection.
public struct PostgresListener: AsyncSequence, Sendable {
    public typealias Element = PostgresNotification
    public let conninfo: String
    public let channels: [String]
    let reactor: PostgresReactor
    let onReconnect: @Sendable () -> Void

    public init(
        conninfo: String, channels: [String], reactor: PostgresReactor? = nil,
        onReconnect: @escaping @Sendable () -> Void = {}
    ) throws {
        try ConnectionString.validate(conninfo)
        for channel in channels where !Self.isValidChannel(channel) {
            throw PostgresError(.invalidArgument, message: "invalid channel name (use [a-z_][a-z0-9_]{0,62})")
        }
        self.conninfo = conninfo
        self.channels = channels
        self.reactor = reactor ?? .shared
        self.onReconnect = onReconnect
    }

    /// LISTEN takes an identifier, not a parameter, so names are restricted to a safe set.
    static func isValidChannel(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z"), digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        return (lower.contains(first) || first == UInt8(ascii: "_"))
            && name.utf8.allSatisfy { lower.contains($0) || digit.contains($0) || $0 == UInt8(ascii: "_") }
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<PostgresNotification, any Error>.Iterator {
        let (stream, continuation) = AsyncThrowingStream<PostgresNotification, any Error>.makeStream()
        let task = Task { [self] in
            var attempt = 0
            while !Task.isCancelled {
                var connection: PostgresConnection?
                do {
                    let opened = try await PostgresConnection.connect(conninfo, reactor: reactor)
                    connection = opened
                    for channel in channels {
                        try await opened.execute("LISTEN \"\(channel)\"")
                    }
                    if attempt > 0 { onReconnect() }
                    attempt = 0
                    try await pump(opened, into: continuation)
                } catch is CancellationError {
                    connection?.close()
                    break
                } catch {
                    connection?.close()
                    attempt += 1
                    if attempt == 1 && connection == nil && !channels.isEmpty {
                        // First connect failed: report it rather than retry silently forever.
                        continuation.finish(throwing: error)
                        return
                    }
                    let delay = Swift.min(5000, 100 << Swift.min(attempt, 6))
                    try? await Task.sleep(for: .milliseconds(delay))
                }
                connection?.close()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    private func pump(
        _ connection: PostgresConnection, into continuation: AsyncThrowingStream<PostgresNotification, any Error>.Continuation
    ) async throws {
        let handle = connection.handle
        while true {
            while let notify = PQnotifies(handle) {
                let item = PostgresNotification(
                    channel: String(cString: notify.pointee.relname),
                    payload: String(cString: notify.pointee.extra),
                    processID: notify.pointee.be_pid)
                PQfreemem(notify)
                continuation.yield(item)
            }
            try await reactor.waitCancellable(fd: PQsocket(handle), for: .read)
            if PQconsumeInput(handle) == 0 {
                throw PostgresError(.connectionLost, message: PostgresConnection.errorMessage(handle))
            }
        }
    }
}
