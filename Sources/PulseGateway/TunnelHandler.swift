import PulseHTTP
import PulseHTTPClient

/// Joins an upgraded client connection (the server side) to an upgraded upstream stream:
/// bytes from either side are written to the other unchanged, so WebSocket frames, pings and
/// the close handshake pass through. Upstream → client pauses while the client's send queue
/// holds more than `maximumQueuedBytes` (a slow browser slows the upstream down); either side
/// ending ends both.
final class TunnelHandler: HTTPUpgradeHandler {
    static let maximumQueuedBytes = 1 << 20

    private let upstream: HTTPClientUpgradedStream
    private let toUpstream: AsyncStream<[UInt8]>.Continuation
    private let outbound: AsyncStream<[UInt8]>

    init(upstream: HTTPClientUpgradedStream) {
        self.upstream = upstream
        (outbound, toUpstream) = AsyncStream.makeStream()
    }

    func upgraded(_ connection: UpgradedConnection) {
        let upstream = self.upstream, outbound = self.outbound
        Task {
            while true {
                guard let bytes = try? await upstream.read(), !bytes.isEmpty else { break }
                connection.write(bytes)
                while connection.queuedByteCount > Self.maximumQueuedBytes && !connection.isClosed {
                    try? await Task.sleep(for: .milliseconds(5))
                }
                if connection.isClosed { break }
            }
            connection.close()
        }
        Task {
            for await bytes in outbound {
                do { try await upstream.write(bytes) } catch { break }
            }
            upstream.close()
        }
    }

    func received(_ bytes: [UInt8], on connection: UpgradedConnection) {
        toUpstream.yield(bytes)
    }

    func closed(error: (any Error)?) {
        toUpstream.finish()
        upstream.close()
    }
}
