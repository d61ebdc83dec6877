import Foundation
import Synchronization

/// A bounded pool of connections to one server.
///
/// `acquire` hands out an idle connection (dropping dead ones: a non-blocking read detects
/// a server that went away, and connections idle for long are pinged), opens a new one
/// below the limit, or waits up to `acquireTimeout` and then fails with `.poolTimeout`
/// (503). When the server is down, a new connection fails at once with `.unavailable`.
public final class PostgresPool: Sendable {
    public let conninfo: String
    public let options: PostgresPoolOptions
    private let reactor: PostgresReactor
    private let statementTimeout: Duration?

    private struct Waiter {
        /// Monotonic ns; waiters queue in arrival order with one timeout, so deadlines ascend.
        let deadline: UInt64
        /// The thread it waited on (its event loop's, for tasks running on a loop).
        let thread: pthread_t
        /// nil: look again (a connection came free while the waiter was being queued).
        let continuation: CheckedContinuation<PostgresConnection?, any Error>
    }
    /// Guarded by `state`'s lock. Checkout and release are a few instructions under a lock
    /// (no actor hop), so a query from an event-loop task stays on its loop thread.
    private struct State {
        var idle: [PostgresConnection] = []
        var open = 0
        var waiters: [Waiter] = []
        /// One task expires timed-out waiters (not a sleeping task per waiting acquire).
        var sweeperRunning = false
        var isShutdown = false
    }
    private let state = Mutex(State())

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

    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count) }
    }

    /// Runs `body` with a leased connection and returns it to the pool afterwards.
    public func withConnection<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await body(connection)
            release(connection)
            return value
        } catch {
            release(connection)
            throw error
        }
    }

    /// Leases a connection; every successful call must be paired with `release`.
    public func acquire(isolation: isolated (any Actor)? = #isolation) async throws -> PostgresConnection {
        while true {
            let connection: PostgresConnection
            var needsPing = false
            switch try checkoutNow() {
            case .idle(let idle):
                connection = idle
                needsPing = PostgresReactor.now() - idle.lastUsedAt > options.healthCheckAfterIdle.nanoseconds
            case .openNew:
                connection = try await openCounted()
            case .wait:
                guard let handed = try await waitForRelease() else { continue }
                connection = handed
            }
            guard needsPing else { return connection }
            do {
                try await connection.query("SELECT 1")
                return connection
            } catch {
                discard(connection)
            }
        }
    }

    private enum Checkout {
        case idle(PostgresConnection)
        case openNew
        case wait
    }

    /// Takes a healthy idle connection, or reserves a slot for a new one, or a place in line.
    private func checkoutNow() throws -> Checkout {
        while true {
            let step = try state.withLock { state -> Checkout in
                guard !state.isShutdown else { throw PostgresError(.unavailable, message: "pool is shut down") }
                if let connection = state.idle.popLast() { return .idle(connection) }
                if state.open < options.maxConnections {
                    state.open += 1
                    return .openNew
                }
                return .wait
            }
            guard case .idle(let connection) = step else { return step }
            // Outside the lock: a non-blocking poll finds connections a restart killed. One
            // used within the last 100 ms skips it (a syscall per query under load); if
            // its server died in that window, the statement fails as connection lost (503).
            let now = PostgresReactor.now()
            let expired = now - connection.createdAt > options.maxLifetime.nanoseconds
            let recent = now - connection.lastUsedAt < 100_000_000 && connection.isUsable
            if !expired && (recent || connection.probeIdle()) { return step }
            connection.close()
            state.withLock { $0.open -= 1 }
        }
    }

    /// Opens a connection for a slot already counted in `open`.
    private func openCounted() async throws -> PostgresConnection {
        do {
            return try await makeConnection()
        } catch {
            state.withLock { $0.open -= 1 }
            throw error
        }
    }

    private func waitForRelease() async throws -> PostgresConnection? {
        let deadline = PostgresReactor.now() + options.acquireTimeout.nanoseconds
        return try await withCheckedThrowingContinuation { continuation in
            enum Outcome { case queued(startSweeper: Bool), shutDown, retry }
            let outcome = state.withLock { state -> Outcome in
                if state.isShutdown { return .shutDown }
                if !state.idle.isEmpty || state.open < options.maxConnections { return .retry }
                state.waiters.append(Waiter(deadline: deadline, thread: pthread_self(), continuation: continuation))
                let start = !state.sweeperRunning
                state.sweeperRunning = true
                return .queued(startSweeper: start)
            }
            switch outcome {
            case .queued(let startSweeper):
                if startSweeper { Task { [weak self] in await self?.sweepExpiredWaiters() } }
            case .retry:
                continuation.resume(returning: nil)
            case .shutDown:
                continuation.resume(throwing: PostgresError(.unavailable, message: "pool is shut down"))
            }
        }
    }

    /// Fails waiters whose deadline passed with `.poolTimeout`, sleeping until the next
    /// deadline; ends when nobody waits.
    private func sweepExpiredWaiters() async {
        while true {
            let now = PostgresReactor.now()
            let (expired, next) = state.withLock { state -> ([Waiter], UInt64?) in
                let count = state.waiters.prefix { $0.deadline <= now }.count
                let expired = Array(state.waiters.prefix(count))
                state.waiters.removeFirst(count)
                guard let first = state.waiters.first else {
                    state.sweeperRunning = false
                    return (expired, nil)
                }
                return (expired, first.deadline)
            }
            for waiter in expired {
                waiter.continuation.resume(
                    throwing: PostgresError(
                        .poolTimeout,
                        message: "no connection free within \(options.acquireTimeout) (pool of \(options.maxConnections))"))
            }
            guard let next else { return }
            try? await Task.sleep(nanoseconds: next > now ? next - now : 0)
        }
    }

    private func makeConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            conninfo, reactor: reactor, timeout: options.connectTimeout, statementTimeout: statementTimeout)
    }

    /// Returns a connection; broken, in-transaction or too old ones are closed and replaced.
    public func release(_ connection: PostgresConnection) {
        let expired = PostgresReactor.now() - connection.createdAt > options.maxLifetime.nanoseconds
        let usable = connection.isUsable && !expired
        enum Outcome { case idle, handOff(Waiter), discard }
        let outcome = state.withLock { state -> Outcome in
            guard usable && !state.isShutdown else { return .discard }
            if state.waiters.isEmpty {
                state.idle.append(connection)
                return .idle
            }
            return .handOff(state.waiters.remove(at: nextWaiterIndex(state.waiters)))
        }
        switch outcome {
        case .idle: break
        case .handOff(let waiter): waiter.continuation.resume(returning: connection)
        case .discard: discard(connection)
        }
    }

    /// The waiter to hand a released connection to: the first in line, unless a waiter on
    /// this same thread (event loop) is among the next few and the first has waited under
    /// 2 ms. Handing to the same loop resumes that task without a cross-thread wake-up; the
    /// bound keeps the line fair.
    private func nextWaiterIndex(_ waiters: [Waiter]) -> Int {
        let queuedAt = waiters[0].deadline - options.acquireTimeout.nanoseconds
        guard PostgresReactor.now() - queuedAt < 2_000_000 else { return 0 }
        let me = pthread_self()
        return waiters.prefix(8).firstIndex { pthread_equal($0.thread, me) != 0 } ?? 0
    }

    private func discard(_ connection: PostgresConnection) {
        connection.close()
        state.withLock { $0.open -= 1 }
        replaceForWaiter()
    }

    /// A slot freed up while tasks wait: open a fresh connection for the first of them.
    private func replaceForWaiter() {
        let waiter = state.withLock { state -> Waiter? in
            guard !state.waiters.isEmpty, state.open < options.maxConnections, !state.isShutdown else { return nil }
            state.open += 1
            return state.waiters.removeFirst()
        }
        guard let waiter else { return }
        Task {
            do {
                waiter.continuation.resume(returning: try await self.openCounted())
            } catch {
                waiter.continuation.resume(throwing: error)
            }
        }
    }

    /// Closes idle connections; later acquires fail. Leased ones close on release.
    public func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutdown = true
            defer {
                state.open -= state.idle.count
                state.idle.removeAll()
                state.waiters.removeAll()
            }
            return (state.idle, state.waiters)
        }
        for connection in idle { connection.close() }
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.unavailable, message: "pool is shut down"))
        }
    }

    /// Drops every idle connection (after a failover or a known server restart).
    public func drainIdle() {
        let idle = state.withLock { state in
            defer {
                state.open -= state.idle.count
                state.idle.removeAll()
            }
            return state.idle
        }
        for connection in idle { connection.close() }
    }
}
