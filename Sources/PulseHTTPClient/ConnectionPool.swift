import PulseSystem
import Synchronization

/// Keep-alive connections per origin: at most `maximumConnectionsPerOrigin` open (callers
/// beyond that wait, bounded by their deadline), at most `maximumIdlePerOrigin` idle, idle
/// ones older than `idleTimeout` closed (checked on use and by a timer), and a liveness peek
/// before reuse so a connection the server closed while idle is not handed out.
final class ConnectionPool: Sendable {
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct OriginState {
        var idle: [HTTPClientConnection] = []
        var open = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var origins: [ClientURL.Origin: OriginState] = [:]
        var nextWaiterID: UInt64 = 0
        var shutDown = false
        /// One idle sweep timer at a time, however many connections go idle.
        var sweepScheduled = false
        var opened = 0
        var reused = 0
    }

    private let configuration: HTTPClientConfiguration.Pool
    private let loop: EventLoop
    private let state = Mutex(State())

    init(configuration: HTTPClientConfiguration.Pool, loop: EventLoop) {
        self.configuration = configuration
        self.loop = loop
    }

    /// Connections opened and pooled connections reused so far (metrics, tests).
    var statistics: (opened: Int, reused: Int) { state.withLock { ($0.opened, $0.reused) } }

    private enum Step {
        case reuse(HTTPClientConnection)
        case connect
        case wait
        case shutDown
    }

    /// A connection to `origin`: a live idle one, or a new one from `connect`, or the next
    /// one released (waiting until `deadline`, then `poolExhausted`).
    func acquire(_ origin: ClientURL.Origin, deadline: UInt64,
                 connect: () async throws -> HTTPClientConnection) async throws -> (HTTPClientConnection, reused: Bool) {
        let idleLimit = configuration.idleTimeout.nanoseconds
        while true {
            var stale: [HTTPClientConnection] = []
            let now = monotonicNanos()
            let limit = configuration.maximumConnectionsPerOrigin
            let step: Step = state.withLock { s in
                if s.shutDown { return .shutDown }
                // In place (no copy of the origin's idle list per request).
                let step = Self.nextStep(&s.origins[origin, default: OriginState()], now: now, idleLimit: idleLimit,
                                         limit: limit, stale: &stale)
                switch step {
                case .reuse: s.reused += 1
                case .connect: s.opened += 1
                default: break
                }
                return step
            }
            for connection in stale { connection.close() }
            switch step {
            case .reuse(let connection):
                // The liveness probe is a syscall: made outside the client-wide lock.
                if connection.transport.isReusable() { return (connection, true) }
                state.withLock { s in
                    s.origins[origin]?.open -= 1
                    s.reused -= 1
                }
                connection.close()  // the server closed it while it sat idle: look again
            case .shutDown: throw HTTPClientError.shutdown
            case .connect:
                do {
                    return (try await connect(), false)
                } catch {
                    forget(origin)
                    throw error
                }
            case .wait:
                try await waitForRelease(origin, deadline: deadline)
            }
        }
    }

    /// An idle connection young enough to try, else a slot for a new one, else wait; expired
    /// idle ones go to `stale`.
    private static func nextStep(
        _ o: inout OriginState, now: UInt64, idleLimit: UInt64, limit: Int, stale: inout [HTTPClientConnection]
    ) -> Step {
        while let candidate = o.idle.popLast() {
            if now &- candidate.idleSince < idleLimit { return .reuse(candidate) }
            o.open -= 1
            stale.append(candidate)
        }
        if o.open < limit {
            o.open += 1
            return .connect
        }
        return .wait
    }

    private func waitForRelease(_ origin: ClientURL.Origin, deadline: UInt64) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterID += 1
            return s.nextWaiterID
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            state.withLock { $0.origins[origin, default: OriginState()].waiters.append(Waiter(id: id, continuation: continuation)) }
            let now = monotonicNanos()
            loop.scheduleTask(after: .nanoseconds(Int64(deadline > now ? deadline - now : 0))) { [self] in
                let timedOut = state.withLock { s -> Waiter? in
                    guard let index = s.origins[origin]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.origins[origin]?.waiters.remove(at: index)
                }
                timedOut?.continuation.resume(throwing: HTTPClientError.poolExhausted)
            }
        }
    }

    /// Takes a connection back: pooled when `reusable` and there is room, else closed.
    func release(_ connection: HTTPClientConnection, reusable: Bool) {
        let origin = connection.origin
        connection.idleSince = monotonicNanos()
        let maximumIdle = configuration.maximumIdlePerOrigin
        let (keep, waiter, sweep) = state.withLock { s -> (Bool, Waiter?, Bool) in
            let (keep, waiter) = Self.put(
                connection, into: &s.origins[origin, default: OriginState()], pooling: reusable && !s.shutDown,
                maximumIdle: maximumIdle)
            let sweep = keep && !s.sweepScheduled
            if sweep { s.sweepScheduled = true }
            return (keep, waiter, sweep)
        }
        if !keep { connection.close() }
        waiter?.continuation.resume()
        if sweep { scheduleSweep() }
    }

    /// Pools `connection` (when `pooling` and there is room) or gives up its slot; hands the
    /// turn to the first waiter.
    private static func put(
        _ connection: HTTPClientConnection, into o: inout OriginState, pooling: Bool, maximumIdle: Int
    ) -> (kept: Bool, waiter: Waiter?) {
        let keep = pooling && o.idle.count < maximumIdle
        if keep { o.idle.append(connection) } else { o.open -= 1 }
        return (keep, o.waiters.isEmpty ? nil : o.waiters.removeFirst())
    }

    private func scheduleSweep() {
        loop.scheduleTask(after: configuration.idleTimeout + .milliseconds(50)) { [weak self] in self?.closeExpired() }
    }

    /// A connection attempt failed: free its slot and let a waiter try.
    private func forget(_ origin: ClientURL.Origin) {
        let waiter = state.withLock { s -> Waiter? in
            s.origins[origin]?.open -= 1
            return s.origins[origin]?.waiters.isEmpty == false ? s.origins[origin]?.waiters.removeFirst() : nil
        }
        waiter?.continuation.resume()
    }

    /// Closes idle connections past their idle timeout.
    func closeExpired() {
        let now = monotonicNanos()
        let limit = configuration.idleTimeout.nanoseconds
        let (expired, again) = state.withLock { s -> ([HTTPClientConnection], Bool) in
            var out: [HTTPClientConnection] = []
            var remaining = false
            for (origin, var o) in s.origins {
                let (old, fresh) = (o.idle.filter { now &- $0.idleSince >= limit }, o.idle.filter { now &- $0.idleSince < limit })
                o.idle = fresh
                o.open -= old.count
                out += old
                remaining = remaining || !fresh.isEmpty
                s.origins[origin] = o
            }
            s.sweepScheduled = remaining && !s.shutDown
            return (out, s.sweepScheduled)
        }
        for connection in expired { connection.close() }
        if again { scheduleSweep() }
    }

    /// Closes every idle connection and refuses further use; waiters fail with `shutdown`.
    func shutdown() {
        let (idle, waiters) = state.withLock { s -> ([HTTPClientConnection], [Waiter]) in
            s.shutDown = true
            var idle: [HTTPClientConnection] = []
            var waiters: [Waiter] = []
            for (origin, var o) in s.origins {
                idle += o.idle
                waiters += o.waiters
                o.open -= o.idle.count
                o.idle = []
                o.waiters = []
                s.origins[origin] = o
            }
            return (idle, waiters)
        }
        for connection in idle { connection.close() }
        for waiter in waiters { waiter.continuation.resume(throwing: HTTPClientError.shutdown) }
    }
}
