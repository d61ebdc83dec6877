import CLibPQ
import Glibc
import PulseSystem

/// One pipelined connection driven by one event loop: statements from the loop's tasks are
/// written back to back (each with its own Sync, so each is its own implicit transaction and an
/// error stays with its statement), and the replies are matched to them in order.
///
/// Every method runs on `loop`'s thread; that is what makes the unsynchronised state safe. The
/// socket is registered on the loop itself, so a batch of replies costs one wake-up.
final class PipelinedLane: EventHandler, @unchecked Sendable {
    let loop: EventLoop
    private let settings: PostgresMultiplexer.Settings

    private var connection: PostgresConnection?
    private var handle: OpaquePointer? { connection?.handle }
    private var socket: Int32 = -1
    private var connecting = false
    private var closedError: PostgresError?

    /// Submitted, not yet written.
    private var queued = RequestQueue()
    /// Written, waiting for their Sync to come back (in order).
    private var inFlight = RequestQueue()
    private var sendScheduled = false
    private var wantsWrite = false
    private var corkable = true

    /// SQL text → statement prepared on this connection.
    private var statements: [String: PipelinedStatement] = [:]
    private var nextStatement = 0

    static let scopeSQL = "SELECT set_config('pulse.client_id', $1, true)"

    init(loop: EventLoop, settings: PostgresMultiplexer.Settings) {
        self.loop = loop
        self.settings = settings
    }

    /// Statements waiting or in flight (a cancelled one counts until its reply is read).
    var load: Int { queued.count + inFlight.count }

    /// When the statement at the head of the pipeline started (monotonic ns): the server runs
    /// the pipeline in order, so this is when it got to that statement, near enough.
    private var headStartedAt: UInt64 = 0

    /// True when the statement at the head has run longer than `limit`: a slow statement that
    /// the statements behind it on this connection would wait for.
    func isStalled(now: UInt64, limit: UInt64) -> Bool {
        !inFlight.isEmpty && now &- headStartedAt > limit
    }

    // MARK: Submitting

    func submit(_ request: PipelinedRequest) {
        if request.cancelled { return request.finish(.failure(PostgresMultiplexer.cancelledError)) }
        if let closedError { return request.finish(.failure(closedError)) }
        queued.append(request)
        if connection == nil {
            connect()
        } else if !sendScheduled {
            // Written at the end of this loop turn: statements submitted by the tasks the loop
            // runs in this turn go out together.
            sendScheduled = true
            loop.execute { [self] in
                sendScheduled = false
                sendQueued()
            }
        }
    }

    /// The caller's task was cancelled: a statement not written yet is dropped; one already
    /// written is abandoned (its reply is read and discarded). The server-side statement is not
    /// cancelled, because a cancel request would hit whichever statement of the connection runs
    /// at that moment, possibly another caller's; `statement_timeout` still bounds it.
    func cancel(_ request: PipelinedRequest) {
        request.cancelled = true
        request.finish(.failure(PostgresMultiplexer.cancelledError))
    }

    private func sendQueued() {
        guard let handle else { return }
        // libpq sends each Sync as soon as it is queued; corked, the kernel holds those sends and
        // transmits the batch at once, so the server wakes once per batch rather than per statement
        // (a batch of one is a single send anyway).
        let corked = queued.count > 1 && setCork(true)
        defer { if corked { setCork(false) } }
        var wrote = false
        while let request = queued.popFirst() {
            if request.continuation == nil { continue }  // cancelled while waiting
            do {
                try write(request, on: handle)
            } catch {
                request.finish(.failure(error))
                return breakConnection(error)
            }
            if inFlight.isEmpty { headStartedAt = PostgresReactor.now() }
            inFlight.append(request)
            wrote = true
        }
        if wrote { flush() }
    }

    /// TCP_CORK on a TCP connection; false (and not tried again) on a Unix-domain socket.
    @discardableResult
    private func setCork(_ on: Bool) -> Bool {
        guard corkable, socket >= 0 else { return false }
        var value: Int32 = on ? 1 : 0
        if setsockopt(socket, Int32(IPPROTO_TCP), TCP_CORK, &value, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            corkable = false
            return false
        }
        return true
    }

    /// Queues the protocol messages of one statement (optional scope, Parse when the text is
    /// new, Bind/Execute) and its Sync in libpq's output buffer.
    private func write(_ request: PipelinedRequest, on handle: OpaquePointer) throws(PostgresError) {
        request.reset()
        if let scope = request.scope {
            try execute(Self.scopeSQL, scope, format: .text, for: request, on: handle)
        }
        request.statement = try execute(request.sql, request.parameters, format: request.format, for: request, on: handle)
        guard PQpipelineSync(handle) == 1 else { throw PostgresConnection.lostOrProtocolError(handle) }
    }

    @discardableResult
    private func execute(
        _ sql: String, _ parameters: ParameterBuffer, format: PostgresFormat, for request: PipelinedRequest,
        on handle: OpaquePointer
    ) throws(PostgresError) -> PipelinedStatement? {
        var statement = statements[sql]
        if statement == nil && statements.count < settings.statementCacheCapacity {
            nextStatement += 1
            let prepared = PipelinedStatement(name: "pulse_m\(nextStatement)", sql: sql)
            guard PQsendPrepare(handle, prepared.name, sql, Int32(parameters.count), nil) == 1
            else { throw PostgresConnection.lostOrProtocolError(handle) }
            statements[sql] = prepared
            request.commands.append(.prepare(prepared))
            statement = prepared
        }
        let sent = parameters.withCStrings { count, values in
            if let statement {
                return PQsendQueryPrepared(handle, statement.name, count, values, nil, nil, format.rawValue)
            }
            return PQsendQueryParams(handle, sql, count, nil, values, nil, nil, format.rawValue)
        }
        guard sent == 1 else { throw PostgresConnection.lostOrProtocolError(handle) }
        request.commands.append(.execute)
        return statement
    }

    /// Pushes libpq's output buffer to the socket; asks for writability while some is left.
    private func flush() {
        guard let handle else { return }
        let result = PQflush(handle)
        if result < 0 { return breakConnection(PostgresConnection.lostOrProtocolError(handle)) }
        let needWrite = result == 1
        if needWrite != wantsWrite {
            wantsWrite = needWrite
            loop.modify(socket, events: Epoll.readable | (needWrite ? Epoll.writable : 0))
        }
    }

    // MARK: Reading

    func handleEvent(_ events: UInt32) {
        guard let handle else { return }
        if events & Epoll.writable != 0 { flush() }
        guard connection != nil, events & ~Epoll.writable != 0 else { return }
        if PQconsumeInput(handle) == 0 { return breakConnection(PostgresConnection.lostOrProtocolError(handle)) }
        readResults(handle)
        if inFlight.isEmpty && PQstatus(handle) != CONNECTION_OK {
            breakConnection(PostgresConnection.lostOrProtocolError(handle))
        }
    }

    /// Hands every complete reply to its statement, in order.
    private func readResults(_ handle: OpaquePointer) {
        var separators = 0
        while let head = inFlight.first, PQisBusy(handle) == 0 {
            guard let result = PQgetResult(handle) else {
                // The end of one command's results.
                head.commandIndex += 1
                separators += 1
                if separators > head.commands.count + 1 { return }  // nothing more until input arrives
                continue
            }
            separators = 0
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                _ = inFlight.popFirst()
                if !inFlight.isEmpty { headStartedAt = PostgresReactor.now() }
                complete(head)
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                if head.readingAnswer && head.failure == nil && head.continuation != nil {
                    head.rows = PostgresRows(result: result)
                }
            case PGRES_PIPELINE_ABORTED:
                if head.failure == nil {
                    head.failure = PostgresError(.server, message: "statement skipped after an earlier error")
                }
            default:
                let error = PostgresConnection.serverError(result, handle: handle)
                if head.failure == nil { head.failure = error }
                if head.commandIndex < head.commands.count, case .prepare(let statement) = head.commands[head.commandIndex] {
                    statement.failure = error
                    if statements[statement.sql] === statement { statements[statement.sql] = nil }
                }
            }
        }
    }

    private func complete(_ request: PipelinedRequest) {
        guard let failure = request.failure else {
            return request.finish(.success(request.rows ?? PostgresRows(columns: [], values: [], commandTag: "")))
        }
        if failure.sqlState == "26000" || failure.sqlState == "0A000", let statement = request.statement {
            if let parseFailure = statement.failure { return request.finish(.failure(parseFailure)) }
            // The prepared statement vanished (DISCARD ALL) or its plan changed shape: forget it
            // and send the statement once more, prepared afresh.
            if statements[statement.sql] === statement { statements[statement.sql] = nil }
            if !request.resent && request.continuation != nil {
                request.resent = true
                return submit(request)
            }
        }
        request.finish(.failure(failure))
    }

    // MARK: Connection

    private func connect() {
        guard !connecting else { return }
        connecting = true
        Task(executorPreference: loop) { [self, settings] in
            do {
                let connection = try await PostgresConnection.connect(
                    settings.conninfo, timeout: settings.connectTimeout, statementTimeout: settings.statementTimeout)
                do {
                    guard PQenterPipelineMode(connection.handle) == 1 else {
                        throw PostgresError(.protocolViolation, message: PostgresConnection.errorMessage(connection.handle))
                    }
                    try loop.register(PQsocket(connection.handle), events: Epoll.readable, handler: self)
                } catch {
                    connection.close()
                    throw error
                }
                connected(connection)
            } catch {
                connecting = false
                let failure = (error as? PostgresError) ?? PostgresError(.unavailable, message: "\(error)")
                for request in queued.drain() { request.finish(.failure(failure)) }
            }
        }
    }

    private func connected(_ connection: PostgresConnection) {
        connecting = false
        if closedError != nil {
            loop.unregister(PQsocket(connection.handle))
            connection.close()
            return
        }
        self.connection = connection
        socket = PQsocket(connection.handle)
        wantsWrite = false
        sendQueued()
    }

    /// The connection failed: statements in flight fail (their outcome is unknown, so they are
    /// not sent again); statements not yet written go out on a new connection.
    private func breakConnection(_ error: PostgresError) {
        guard let connection else { return }
        loop.unregister(socket)
        connection.close()
        self.connection = nil
        socket = -1
        statements.removeAll()
        let lost = PostgresError(
            .connectionLost,
            message: "connection lost while the statement was in flight; it may or may not have run (\(error.message))")
        for request in inFlight.drain() { request.finish(.failure(lost)) }
        if !queued.isEmpty && closedError == nil { connect() }
    }

    /// Fails everything and closes the connection; later submissions fail with `error`.
    func close(with error: PostgresError) {
        closedError = error
        for request in queued.drain() { request.finish(.failure(error)) }
        for request in inFlight.drain() { request.finish(.failure(error)) }
        if let connection {
            loop.unregister(socket)
            connection.close()
            self.connection = nil
        }
    }
}
