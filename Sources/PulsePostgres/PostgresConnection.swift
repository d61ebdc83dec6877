import CLibPQ
import Foundation
import Synchronization

/// One libpq connection in non-blocking mode. Socket waits run on the caller's PulseSystem
/// event loop when the task runs on one (`LoopReadiness`), else on `PostgresReactor`.
///
/// A connection runs one statement at a time: the pool hands it to one task, which
/// owns it until release. Cancelling that task sends a server-side cancel (`PQcancel`).
public final class PostgresConnection: @unchecked Sendable {
    let handle: OpaquePointer
    private let canceller: Canceller
    let reactor: PostgresReactor
    /// SQL text → prepared statement name.
    private var statements: [String: String] = [:]
    private var nextStatement = 0
    /// Parameter text of the statement being sent (one statement at a time).
    private var parameterBuffer = ParameterBuffer()
    package var statementCacheCapacity = 512
    package let createdAt = PostgresReactor.now()
    package var lastUsedAt = PostgresReactor.now()
    /// Serialises close with the statement in flight.
    let gate = ConnectionGate()
    var isClosed: Bool { gate.isClosed }
    /// Set when a statement saw the connection break; the pool then drops it.
    package private(set) var isBroken = false

    /// Identifies this connection's socket registrations in readiness sets.
    let owner = PostgresConnection.owners.add(1, ordering: .relaxed).newValue
    private static let owners = Atomic<UInt64>(0)

    private init(handle: OpaquePointer, reactor: PostgresReactor) {
        self.handle = handle
        self.reactor = reactor
        self.canceller = Canceller(PQgetCancel(handle))
    }

    deinit { close() }

    // MARK: Connecting

    /// Process-wide libpq defaults, set once before the first connection. GSSAPI encryption
    /// off unless the operator set `PGGSSENCMODE`: Pulse authenticates with SCRAM, and a
    /// connection attempt probing Kerberos while the process exits trips libkrb5's mutex
    /// assertion (a pulse-etl refusing a bad CLIENT_NAME died of SIGABRT instead of exit 1).
    private static let libpqDefaults: Void = { setenv("PGGSSENCMODE", "disable", 0) }()

    /// Opens a connection without blocking a thread. `conninfo` is a libpq key/value string
    /// or a `postgresql://` URL.
    public static func connect(
        _ conninfo: String, reactor: PostgresReactor? = nil, timeout: Duration = .seconds(10)
    ) async throws -> PostgresConnection {
        try ConnectionString.validate(conninfo)
        let reactor = reactor ?? .shared
        _ = Self.libpqDefaults
        guard let handle = PQconnectStart(conninfo) else {
            throw PostgresError(.unavailable, message: "libpq could not allocate a connection")
        }
        if PQstatus(handle) == CONNECTION_BAD {
            let message = errorMessage(handle)
            PQfinish(handle)
            throw PostgresError(.unavailable, message: message)
        }
        let deadline = PostgresReactor.now() + timeout.nanoseconds
        var state = PGRES_POLLING_WRITING
        var lastFD: Int32 = -1
        do {
            while state != PGRES_POLLING_OK {
                let fd = PQsocket(handle)
                if fd != lastFD && lastFD >= 0 { reactor.deregister(fd: lastFD) }
                lastFD = fd
                switch state {
                case PGRES_POLLING_READING: try await reactor.wait(fd: fd, for: .read, deadline: deadline)
                case PGRES_POLLING_WRITING: try await reactor.wait(fd: fd, for: .write, deadline: deadline)
                default:
                    throw PostgresError(.unavailable, message: errorMessage(handle))
                }
                state = PQconnectPoll(handle)
                if state == PGRES_POLLING_FAILED {
                    throw PostgresError(.unavailable, message: errorMessage(handle))
                }
            }
        } catch {
            reactor.deregister(fd: PQsocket(handle))
            PQfinish(handle)
            throw error
        }
        // Server notices (e.g. "already exists, skipping") must not go to our stderr.
        _ = PQsetNoticeProcessor(handle, { _, _ in }, nil)
        guard PQsetnonblocking(handle, 1) == 0 else {
            let message = errorMessage(handle)
            reactor.deregister(fd: PQsocket(handle))
            PQfinish(handle)
            throw PostgresError(.unavailable, message: message)
        }
        return PostgresConnection(handle: handle, reactor: reactor)
    }

    /// `connect`, then the session's `statement_timeout` when one is given (the connection is
    /// closed if that fails).
    static func connect(
        _ conninfo: String, reactor: PostgresReactor? = nil, timeout: Duration, statementTimeout: Duration?
    ) async throws -> PostgresConnection {
        let connection = try await connect(conninfo, reactor: reactor, timeout: timeout)
        guard let statementTimeout else { return connection }
        do {
            try await connection.query(
                "SELECT set_config('statement_timeout', $1, false)", [String(statementTimeout.milliseconds)])
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    static func errorMessage(_ handle: OpaquePointer) -> String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Closes the connection (idempotent, safe from any task). A statement running at that
    /// moment is cancelled and fails with "connection was closed while the statement was
    /// running"; the connection is freed once that statement's task has let go of libpq.
    public func close() {
        gate.requestClose(finish: finish, interrupt: canceller.cancelActive)
    }

    private func finish() {
        reactor.deregister(fd: PQsocket(handle))
        canceller.invalidate()
        PQfinish(handle)
    }

    /// True when libpq still considers the connection usable and idle.
    package var isUsable: Bool {
        !isBroken
            && gate.ifOpen { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE } == true
    }

    /// Open and not known broken (it may be inside a transaction).
    package var isAlive: Bool { !isBroken && gate.ifOpen { PQstatus(handle) == CONNECTION_OK } == true }

    package var isIdleOutsideTransaction: Bool { gate.ifOpen { PQtransactionStatus(handle) == PQTRANS_IDLE } ?? false }

    /// Reads whatever the server sent while the connection sat idle (e.g. a shutdown
    /// notice) without blocking; returns false when the connection is dead.
    package func probeIdle() -> Bool {
        guard isUsable else { return false }
        // An idle pooled connection receives nothing; anything readable is a shutdown
        // notice or EOF from a server that went away, so the connection is not reused.
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, 0) != 0 {
            isBroken = true
            return false
        }
        return true
    }

    /// Server's version number, e.g. 150010.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    // MARK: Statements

    /// Runs one parameterised statement through the prepared-statement cache.
    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], format: PostgresFormat = .text
    ) async throws -> PostgresRows {
        try await run(sql, parameters, format: format, prepared: true, cancellable: true)
    }

    /// Variadic convenience: `query("SELECT $1::int", 1)`.
    @discardableResult
    public func query(_ sql: String, _ first: any PostgresEncodable, _ rest: any PostgresEncodable...)
        async throws -> PostgresRows
    {
        try await query(sql, [first] + rest)
    }

    /// Runs a statement with parameters but without preparing it (one-off statements, COPY).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresRows {
        try await run(sql, parameters, format: .text, prepared: false, cancellable: true)
    }

    /// Runs a trusted multi-statement script (migration files) with the simple protocol.
    /// Never pass input here: it takes no parameters.
    package nonisolated(nonsending) func executeScript(_ sql: String) async throws {
        try await perform(cancellable: true) {
            try self.send { PQsendQuery(self.handle, sql) }
            _ = try await self.collect()
        }
    }

    /// Internal form used for BEGIN/COMMIT/ROLLBACK: `cancellable: false` lets a
    /// rollback finish even when the task was cancelled.
    package nonisolated(nonsending) func run(
        _ sql: String, _ values: [any PostgresEncodable], format: PostgresFormat, prepared: Bool, cancellable: Bool
    ) async throws -> PostgresRows {
        try await perform(cancellable: cancellable) {
            if prepared {
                do {
                    return try await self.runPrepared(sql, values, format: format)
                } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
                    // Statement vanished (DISCARD ALL) or its plan changed shape: re-prepare once.
                    self.statements.removeValue(forKey: sql)
                    return try await self.runPrepared(sql, values, format: format)
                }
            }
            try self.withParameters(values) { count, pointers in
                try self.send {
                    PQsendQueryParams(self.handle, sql, count, nil, pointers, nil, nil, format.rawValue)
                }
            }
            return try await self.collect()
        }
    }

    private nonisolated(nonsending) func runPrepared(_ sql: String, _ values: [any PostgresEncodable], format: PostgresFormat) async throws -> PostgresRows {
        let name: String
        if let existing = statements[sql] {
            name = existing
        } else {
            if statements.count >= statementCacheCapacity {
                try send { PQsendQuery(self.handle, "DEALLOCATE ALL") }
                _ = try await collect()
                statements.removeAll()
            }
            nextStatement += 1
            name = "pulse_\(nextStatement)"
            try send { PQsendPrepare(self.handle, name, sql, Int32(values.count), nil) }
            _ = try await collect()
            statements[sql] = name
        }
        try withParameters(values) { count, pointers in
            try send {
                PQsendQueryPrepared(self.handle, name, count, pointers, nil, nil, format.rawValue)
            }
        }
        return try await collect()
    }

    /// Wraps one statement: claims the connection (so a concurrent close waits for it),
    /// installs the server-side cancel, marks breakage.
    package nonisolated(nonsending) func perform<T>(
        cancellable: Bool, _ body: nonisolated(nonsending) () async throws -> T
    ) async throws -> T {
        if cancellable && Task.isCancelled {
            guard !isClosed else { throw ConnectionGate.closedError }
            throw PostgresError(.cancelled, message: "task cancelled before the statement was sent")
        }
        try gate.enter()
        defer { gate.leave(finish: finish) }
        lastUsedAt = PostgresReactor.now()
        do {
            if !cancellable { return try await body() }
            let ticket = canceller.begin()
            defer { canceller.end(ticket) }
            return try await withTaskCancellationHandler {
                try await body()
            } onCancel: { [canceller] in
                canceller.cancel(ticket)
            }
        } catch let error as PostgresError {
            // A concurrent close cancels the statement: report the close, not the cancel.
            if let closed = gate.abortError { throw closed }
            if error.isConnectionFatal || PQstatus(handle) != CONNECTION_OK { isBroken = true }
            throw error
        } catch {
            isBroken = true
            throw gate.abortError ?? error
        }
    }

    /// Waits until the socket is ready, on the caller's event loop when it runs on one
    /// (no thread hop), else on the reactor thread. A concurrent `close()` ends the wait.
    nonisolated(nonsending) func waitReady(for interest: Interest) async throws {
        let fd = PQsocket(handle)
        let set = LoopReadiness.current() ?? reactor.set
        try gate.beginWait(on: set, fd: fd)
        defer { gate.endWait() }
        try await set.wait(fd: fd, owner: owner, for: interest, deadline: nil, abort: { gate.abortError })
    }

    /// Passes the parameters' text forms to libpq as C strings (NULL stays nil), encoded
    /// into one buffer the connection reuses: no allocation per statement in the common case.
    func withParameters<R>(
        _ parameters: [any PostgresEncodable], _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?) throws -> R
    ) throws -> R {
        try parameterBuffer.encode(parameters)
        return try parameterBuffer.withCStrings(body)
    }

    /// Calls a PQsend* function and flushes its output without blocking.
    func send(_ call: () -> Int32) throws {
        guard call() == 1 else { throw lostOrProtocolError() }
    }

    nonisolated(nonsending) func flush() async throws {
        while true {
            let result = PQflush(handle)
            if result == 0 { return }
            if result < 0 { throw lostOrProtocolError() }
            try await waitReady(for: .readWrite)
            if PQconsumeInput(handle) == 0 { throw lostOrProtocolError() }
        }
    }

    func lostOrProtocolError() -> PostgresError {
        let error = Self.lostOrProtocolError(handle)
        if error.code == .connectionLost { isBroken = true }
        return error
    }

    /// A failed libpq call on `handle`: the connection is gone, or it is still up and the
    /// call was refused.
    static func lostOrProtocolError(_ handle: OpaquePointer) -> PostgresError {
        let message = errorMessage(handle)
        if PQstatus(handle) != CONNECTION_OK { return PostgresError(.connectionLost, message: message) }
        return PostgresError(.protocolViolation, message: message)
    }

    /// Waits until a result is ready (flushing first), then returns it; nil at the end.
    nonisolated(nonsending) func nextResult() async throws -> OpaquePointer? {
        try await flush()
        while PQisBusy(handle) == 1 {
            try await waitReady(for: .read)
            if PQconsumeInput(handle) == 0 { throw lostOrProtocolError() }
        }
        return PQgetResult(handle)
    }

    /// Reads every result of the statement; throws the first error after draining.
    /// Returns early (undrained) on COPY IN so `copyFrom` can stream data.
    nonisolated(nonsending) func collect() async throws -> PostgresRows {
        var rows = PostgresRows(columns: [], values: [], commandTag: "")
        var failure: PostgresError?
        while let result = try await nextResult() {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                if failure == nil { rows = PostgresRows(result: result) }
            case PGRES_COPY_IN:
                return PostgresRows(columns: [], values: [], commandTag: "COPY_IN")
            case PGRES_COPY_OUT, PGRES_COPY_BOTH:
                failure = failure ?? PostgresError(.protocolViolation, message: "COPY TO is not supported")
            default:
                failure = failure ?? Self.serverError(result, handle: handle)
            }
        }
        if let failure { throw failure }
        return rows
    }

    static func serverError(_ result: OpaquePointer, handle: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            PQresultErrorField(result, Int32(code.asciiValue!)).map { String(cString: $0) }
        }
        let sqlState = field("C")
        let message = field("M") ?? errorMessage(handle)
        let code: PostgresError.Code
        if sqlState == "57014" {
            code = .cancelled
        } else if sqlState == nil && PQstatus(handle) != CONNECTION_OK {
            code = .connectionLost
        } else {
            code = .server
        }
        return PostgresError(
            code, message: message, sqlState: sqlState, detail: field("D"), hint: field("H"),
            position: field("P").flatMap { Int($0) }, constraint: field("n"))
    }
}
