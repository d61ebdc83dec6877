import PulseSystem
import Synchronization

/// Runs standalone statements from many tasks over a few pipelined connections per event loop
/// (`connectionsPerLoop`, 4 by default, opened as load needs them), in libpq's pipeline mode.
///
/// A pool gives each statement a connection of its own for its round trip, so a busy service
/// keeps many server processes each waking up for one statement at a time. Here the statements
/// that the tasks of one event loop issue in the same loop turn are written back to back on
/// that loop's connections, and the server answers them in one pass (the technique of Npgsql's
/// multiplexing mode and tokio-postgres's automatic pipelining).
///
/// Each statement gets its own Sync: it runs in its own implicit transaction, commits on its
/// own, and an error fails only that statement. With a `clientID`, `pulse.client_id` is set
/// for that implicit transaction (row-level security applies) in the same round trip.
///
/// Not for transactions, `COPY` or `LISTEN` (use the pool). Cancelling the caller's task
/// abandons the statement: not yet written, it is never sent; already written, its reply is
/// discarded, but it is not cancelled on the server (a cancel request would hit whatever the
/// shared connection runs at that moment). `statement_timeout` bounds it.
///
/// Tasks running on a PulseSystem `EventLoop` use that loop's connections; other callers share
/// the connections of a loop the multiplexer starts for them.
public final class PostgresMultiplexer: Sendable {
    struct Settings: Sendable {
        let conninfo: String
        let statementTimeout: Duration?
        let connectTimeout: Duration
        let statementCacheCapacity: Int
    }

    static let cancelledError = PostgresError(.cancelled, message: "task cancelled; the statement was abandoned")

    private let settings: Settings
    /// Pipelined connections per event loop at most.
    public let connectionsPerLoop: Int
    /// A statement goes to the first of its loop's connections with fewer than this many
    /// statements waiting or in flight (else to the least loaded). Filling one connection first
    /// keeps batches large at low concurrency; spilling over keeps the queue behind each server
    /// process short (and so the latency tail) at high concurrency.
    public let spillThreshold: Int
    /// A connection whose current statement has run longer than this gets no new statements
    /// while another of the loop's connections is free of such a wait: a slow statement does not
    /// hold up the quick ones that would queue behind it.
    public let stallAfter: Duration
    fileprivate struct Lanes: ~Copyable {
        var byLoop: [ObjectIdentifier: [PipelinedLane]] = [:]
        /// Spreads callers that are not on a loop over the own loop's lanes.
        var nextOwnLane = 0
        /// Drives the lane of callers that are not on an event loop; started on first use.
        var ownLoops: EventLoopGroup?
        var shutDown = false
    }
    private let lanes = Mutex(Lanes())

    /// `conninfo` is a libpq key/value string or a `postgresql://` URL; nothing connects
    /// until the first statement.
    public init(
        conninfo: String, statementTimeout: Duration? = nil, connectTimeout: Duration = .seconds(10),
        statementCacheCapacity: Int = 512, connectionsPerLoop: Int = 4, spillThreshold: Int = 8,
        stallAfter: Duration = .milliseconds(25)
    ) throws {
        guard connectionsPerLoop >= 1, spillThreshold >= 1 else {
            throw PostgresError(.invalidConfiguration, message: "connectionsPerLoop and spillThreshold must be at least 1")
        }
        self.connectionsPerLoop = connectionsPerLoop
        self.spillThreshold = spillThreshold
        self.stallAfter = stallAfter
        try ConnectionString.validate(conninfo)
        settings = Settings(
            conninfo: conninfo, statementTimeout: statementTimeout, connectTimeout: connectTimeout,
            statementCacheCapacity: statementCacheCapacity)
    }

    /// Runs one parameterised statement (prepared on first use per connection) in its own
    /// implicit transaction, optionally in a tenant's scope.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], clientID: Int? = nil, format: PostgresFormat = .text
    ) async throws -> PostgresRows {
        // libpq refuses more (and the connection, shared with other callers, must not see a failed send).
        guard parameters.count <= 65535 else {
            throw PostgresError(.invalidArgument, message: "a statement takes at most 65535 parameters")
        }
        let request = PipelinedRequest(
            sql: sql, parameters: try ParameterBuffer(parameters), format: format, clientID: clientID)
        if Task.isCancelled { throw Self.cancelledError }
        let (lane, onLaneLoop) = try lane()
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<PostgresRows, any Error>) in
                request.continuation = continuation
                if onLaneLoop {
                    lane.submit(request)
                } else {
                    lane.loop.execute { lane.submit(request) }
                }
            }
        } onCancel: {
            lane.loop.execute { lane.cancel(request) }
        }
    }

    /// Fails what is waiting or in flight, closes the connections and stops the loop the
    /// multiplexer started. Statements submitted afterwards fail.
    public func shutdown() async {
        let (all, own) = lanes.withLock { lanes -> ([PipelinedLane], EventLoopGroup?) in
            lanes.shutDown = true
            defer { lanes.ownLoops = nil }
            return (lanes.byLoop.values.flatMap { $0 }, lanes.ownLoops)
        }
        let error = PostgresError(.unavailable, message: "the database client is shutting down")
        // Not awaited: a loop that has stopped runs nothing more (its lanes were closed when it
        // stopped); the multiplexer's own loop runs the close before it stops.
        for lane in all where !lane.loop.hasFinished {
            lane.loop.execute { lane.close(with: error) }
        }
        await own?.shutdown()
    }

    /// The lane of the event loop this task runs on, else the shared one; and whether the
    /// caller is on that lane's loop thread now (then it may submit directly).
    private func lane() throws -> (PipelinedLane, Bool) {
        let loop = EventLoop.current
        return try lanes.withLock { lanes in
            if lanes.shutDown {
                throw PostgresError(.unavailable, message: "the database client is shut down")
            }
            if let loop {
                // On the loop thread: the lanes' loads are this thread's to read.
                let all = lanes.lanes(of: loop, count: connectionsPerLoop, settings: settings)
                return (Self.choose(from: all, spillThreshold: spillThreshold, stallAfter: stallAfter), true)
            }
            if lanes.ownLoops == nil {
                do {
                    lanes.ownLoops = try EventLoopGroup(count: 1)
                } catch {
                    throw PostgresError(.unavailable, message: "could not start the database client's event loop: \(error)")
                }
            }
            let own = lanes.ownLoops!.loops[0]
            let all = lanes.lanes(of: own, count: connectionsPerLoop, settings: settings)
            lanes.nextOwnLane &+= 1
            return (all[lanes.nextOwnLane % all.count], false)
        }
    }
}

extension PostgresMultiplexer.Lanes {
    /// The lanes driven by `loop`, created on first use.
    fileprivate mutating func lanes(
        of loop: EventLoop, count: Int, settings: PostgresMultiplexer.Settings
    ) -> [PipelinedLane] {
        let key = ObjectIdentifier(loop)
        if let existing = byLoop[key] { return existing }
        let created = (0..<count).map { _ in PipelinedLane(loop: loop, settings: settings) }
        for lane in created {
            // A stopped loop never reads these sockets again: what is in flight fails instead.
            loop.whenStopped { lane.close(with: PostgresError.loopStopped) }
        }
        byLoop[key] = created
        return created
    }
}

extension PostgresMultiplexer {
    /// The first lane under `spillThreshold`, else the least loaded, passing over lanes stalled
    /// behind a slow statement unless all are. Loop thread only (loads are its state).
    static func choose(from lanes: [PipelinedLane], spillThreshold: Int, stallAfter: Duration) -> PipelinedLane {
        let now = PostgresReactor.now()
        let limit = stallAfter.nanoseconds
        var best: PipelinedLane?
        var leastLoaded = lanes[0]
        for lane in lanes {
            if lane.load < leastLoaded.load { leastLoaded = lane }
            if lane.isStalled(now: now, limit: limit) { continue }
            if lane.load < spillThreshold { return lane }
            if best == nil || lane.load < best!.load { best = lane }
        }
        return best ?? leastLoaded
    }
}
