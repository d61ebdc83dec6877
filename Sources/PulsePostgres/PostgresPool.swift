import Foundation

/// A bounded pool of connections to one server.
///
/// `acquire` hands out an idle connection (dropping dead ones: a non-blocking read detects
/// a server that went away, and connections idle for long are pinged), opens a new one
/// below the limit, or waits up to `acquireTimeout` and then fails with `.poolTimeout`
/// (503). When the server is down, a new connection fails at once with `.unavailable`.
public actor PostgresPool {
    public nonisolated let conninfo: String
    public nonisolated let options: PostgresPoolOptions
    private let reactor: PostgresReactor
    private let statementTimeout: Duration?
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    private var isShutdown = false

    /// Counts for `/metrics`.
    public struct Statistics: Sendable {
        public let open: Int
        public let idle: Int
        public let waiting: Int
    }

    public init(
        conninfo: String, options: PostgresPoolOptions = .init(), statementTimeout: Duration? = nil,
        reactor: PostgresReactor? = nil
    ) throws {
        try ConnectionString.validate(conninfo)
        self.conninfo = conninfo
        self.options = options
        self.statementTimeout = statementTimeout
        self.reactor = reactor ?? .shared
    }

    public var statistics: Statistics { Statistics(open: open, idle: idle.count, waiting: waiters.count) }

    /// Runs `body` with a leased connection and returns it to the pool afterwards.
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            await release(connection)
            return value
        } catch {
            await release(connection)
            throw error
        }
    }

    /// Leases a connection; every successful call must be paired with `release`.
    public nonisolated func acquire() async throws -> PostgresConnection {
        while true {
            let (connection, needsPing) = try await checkout()
            guard needsPing else { return connection }
            do {
                try await connection.query("SELECT 1")
                return connection
            } catch {
                await discard(connection)
            }
        }
    }

    private func checkout() async throws -> (PostgresConnection, Bool) {
        guard !isShutdown else { throw PostgresError(.unavailable, message: "pool is shut down") }
        while let connection = idle.popLast() {
            let expired = PostgresReactor.now() - connection.createdAt > options.maxLifetime.nanoseconds
            if !expired && connection.probeIdle() {
                let idleFor = PostgresReactor.now() - connection.lastUsedAt
                return (connection, idleFor > options.healthCheckAfterIdle.nanoseconds)
            }
            connection.close()
            open -= 1
        }
        if open < options.maxConnections {
            open += 1
            do {
                return (try await makeConnection(), false)
            } catch {
                open -= 1
                throw error
            }
        }
        nextWaiter += 1
        let id = nextWaiter
        let timeout = options.acquireTimeout
        return (
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
                Task { [weak self] in
                    try? await Task.sleep(for: timeout)
                    await self?.expireWaiter(id)
                }
            }, false
        )
    }

    private func makeConnection() async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(
            conninfo, reactor: reactor, timeout: options.connectTimeout)
        if let statementTimeout {
            do {
                try await connection.query(
                    "SELECT set_config('statement_timeout', $1, false)", [String(statementTimeout.milliseconds)])
            } catch {
                connection.close()
                throw error
            }
        }
        return connection
    }

    private func expireWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(
            throwing: PostgresError(
                .poolTimeout,
                message: "no connection free within \(options.acquireTimeout) (pool of \(options.maxConnections))"))
    }

    /// Returns a connection; broken, in-transaction or too old ones are closed and replaced.
    public func release(_ connection: PostgresConnection) {
        let expired = PostgresReactor.now() - connection.createdAt > options.maxLifetime.nanoseconds
        guard connection.isUsable && !expired && !isShutdown else {
            connection.close()
            open -= 1
            replaceForWaiter()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    private func discard(_ connection: PostgresConnection) {
        connection.close()
        open -= 1
        replaceForWaiter()
    }

    /// A slot freed up while tasks wait: open a fresh connection for the first of them.
    private func replaceForWaiter() {
        guard !waiters.isEmpty, open < options.maxConnections, !isShutdown else { return }
        let waiter = waiters.removeFirst()
        open += 1
        Task {
            do {
                waiter.continuation.resume(returning: try await self.makeConnection())
            } catch {
                self.connectionFailed()
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    private func connectionFailed() { open -= 1 }

    /// Closes idle connections; later acquires fail. Leased ones close on release.
    public func shutdown() {
        isShutdown = true
        for connection in idle { connection.close() }
        open -= idle.count
        idle.removeAll()
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, message: "pool is shut down"))
        }
        waiters.removeAll()
    }

    /// Drops every idle connection (after a failover or a known server restart).
    public func drainIdle() {
        for connection in idle { connection.close() }
        open -= idle.count
        idle.removeAll()
    }
}
