/// A statement prepared on one pipelined connection. Loop-thread only.
final class PipelinedStatement {
    let name: String
    let sql: String
    /// Set when its Parse failed: later statements that used the name report this error
    /// rather than "prepared statement does not exist".
    var failure: PostgresError?

    init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}

/// One standalone statement submitted to a `PostgresMultiplexer`, and its progress through
/// the pipeline.
///
/// Created on the caller's thread; from submission on it is touched only on its lane's event
/// loop thread (the submit job hands it over), which is also where it is resumed, exactly once.
final class PipelinedRequest: @unchecked Sendable {
    enum Command {
        case prepare(PipelinedStatement)
        case execute
    }

    let sql: String
    let parameters: ParameterBuffer
    let format: PostgresFormat
    /// `pulse.client_id` for the statement's implicit transaction, as its parameter, or nil.
    let scope: ParameterBuffer?

    /// nil once resumed.
    var continuation: UnsafeContinuation<PostgresRows, any Error>?
    var cancelled = false
    /// The protocol commands sent for it before its Sync, in order; each one's results end
    /// with a NULL from `PQgetResult`.
    var commands: [Command] = []
    var commandIndex = 0
    /// The statement the answer came from (nil when it ran unnamed).
    var statement: PipelinedStatement?
    var rows: PostgresRows?
    var failure: PostgresError?
    /// A statement whose cached plan went stale is sent again once.
    var resent = false

    init(sql: String, parameters: ParameterBuffer, format: PostgresFormat, clientID: Int?) {
        self.sql = sql
        self.parameters = parameters
        self.format = format
        scope = clientID.map { ParameterBuffer(integer: $0) }
    }

    /// Clears the progress before (re)sending.
    func reset() {
        commands.removeAll(keepingCapacity: true)
        commandIndex = 0
        statement = nil
        rows = nil
        failure = nil
    }

    /// True when the result being read belongs to the last command: the statement's answer.
    var readingAnswer: Bool { commandIndex == commands.count - 1 }

    /// Resumes the caller (once; later calls do nothing).
    func finish(_ outcome: Result<PostgresRows, PostgresError>) {
        guard let continuation else { return }
        self.continuation = nil
        switch outcome {
        case .success(let rows): continuation.resume(returning: rows)
        case .failure(let error): continuation.resume(throwing: error)
        }
    }
}

/// A first-in, first-out queue over an array with a moving head (no shifting per pop).
struct RequestQueue {
    private var items: [PipelinedRequest] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }
    var first: PipelinedRequest? { isEmpty ? nil : items[head] }

    mutating func append(_ request: PipelinedRequest) { items.append(request) }

    mutating func popFirst() -> PipelinedRequest? {
        guard !isEmpty else { return nil }
        let request = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: items.capacity <= 1024)
            head = 0
        }
        return request
    }

    /// Empties the queue, returning what it held.
    mutating func drain() -> ArraySlice<PipelinedRequest> {
        defer {
            items.removeAll()
            head = 0
        }
        return items[head...]
    }
}
