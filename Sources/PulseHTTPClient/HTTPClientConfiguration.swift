/// Settings of an `HTTPClient`. The defaults suit service-to-service calls on a LAN.
public struct HTTPClientConfiguration: Sendable {
    public struct Timeouts: Sendable, Equatable {
        /// TCP connect plus TLS handshake.
        public var connect: Duration
        /// From the first byte written to the last byte of the response (per attempt).
        public var request: Duration
        /// The whole call: waiting for a pooled connection, every redirect and retry.
        public var overall: Duration

        public init(connect: Duration = .seconds(5), request: Duration = .seconds(30), overall: Duration = .seconds(60)) {
            self.connect = connect
            self.request = request
            self.overall = overall
        }
    }

    public struct Pool: Sendable, Equatable {
        /// Open connections per origin (scheme, host, port); further calls wait for one.
        public var maximumConnectionsPerOrigin: Int
        /// Idle connections kept per origin; extra ones are closed on return.
        public var maximumIdlePerOrigin: Int
        /// An idle connection older than this is closed instead of reused.
        public var idleTimeout: Duration

        public init(maximumConnectionsPerOrigin: Int = 32, maximumIdlePerOrigin: Int = 8, idleTimeout: Duration = .seconds(30)) {
            self.maximumConnectionsPerOrigin = max(1, maximumConnectionsPerOrigin)
            self.maximumIdlePerOrigin = max(0, maximumIdlePerOrigin)
            self.idleTimeout = idleTimeout
        }
    }

    public struct TLS: Sendable, Equatable {
        /// PEM file of CA certificates to trust instead of the system store (tests, private
        /// PKI). Nil uses the system trust store (`/etc/ssl/certs`).
        public var trustedCAFile: String?
        /// Also trust the system store when `trustedCAFile` is set.
        public var alsoTrustSystemStore: Bool

        public init(trustedCAFile: String? = nil, alsoTrustSystemStore: Bool = false) {
            self.trustedCAFile = trustedCAFile
            self.alsoTrustSystemStore = alsoTrustSystemStore
        }
    }

    public var timeouts: Timeouts
    public var pool: Pool
    public var tls: TLS
    /// Redirects followed (301, 302, 303, 307, 308); 0 returns the 3xx response itself.
    public var maximumRedirects: Int
    /// Largest response body accepted, after gzip decoding.
    public var maximumResponseBytes: Int
    /// Largest response head (status line + headers).
    public var maximumHeadBytes: Int
    /// Send `Accept-Encoding: gzip` and decode gzip bodies transparently.
    public var decompress: Bool
    /// `User-Agent` sent unless the request sets one.
    public var userAgent: String

    public init(timeouts: Timeouts = .init(), pool: Pool = .init(), tls: TLS = .init(), maximumRedirects: Int = 5,
                maximumResponseBytes: Int = 16 << 20, maximumHeadBytes: Int = 64 << 10, decompress: Bool = true,
                userAgent: String = "pulse-http-client/1") {
        self.timeouts = timeouts
        self.pool = pool
        self.tls = tls
        self.maximumRedirects = max(0, maximumRedirects)
        self.maximumResponseBytes = maximumResponseBytes
        self.maximumHeadBytes = maximumHeadBytes
        self.decompress = decompress
        self.userAgent = userAgent
    }
}
