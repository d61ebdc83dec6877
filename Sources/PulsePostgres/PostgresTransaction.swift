/// A transaction on one connection, passed to the body of `transaction { }`.
public struct PostgresTransaction: Sendable {
    public let connection: PostgresConnection
    /// The tenant this transaction is scoped to (`pulse.client_id`), if any.
    public let clientID: Int?
    let depth: Int

    @discardableResult
    public func query(
        _ sql: String, _ parameters: [any PostgresEncodable] = [], format: PostgresFormat = .text
    ) async throws -> PostgresRows {
        try await connection.query(sql, parameters, format: format)
    }

    @discardableResult
    public func query(_ sql: String, _ first: any PostgresEncodable, _ rest: any PostgresEncodable...)
        async throws -> PostgresRows
    {
        try await connection.query(sql, [first] + rest)
    }

    /// Limits every following statement of this transaction (`SET LOCAL statement_timeout`).
    public func setStatementTimeout(_ timeout: Duration) async throws {
        try await connection.query("SELECT set_config('statement_timeout', $1, true)", [String(timeout.milliseconds)])
    }

    /// Runs `body` inside a savepoint: its changes are rolled back alone if it throws,
    /// and the surrounding transaction continues.
    public func savepoint<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (PostgresTransaction) async throws -> T) async throws -> T {
        let name = "pulse_savepoint_\(depth + 1)"  // our own constant identifier, never input
        _ = try await connection.run("SAVEPOINT \(name)", [], format: .text, prepared: false, cancellable: true)
        do {
            let value = try await body(PostgresTransaction(connection: connection, clientID: clientID, depth: depth + 1))
            _ = try await connection.run("RELEASE SAVEPOINT \(name)", [], format: .text, prepared: false, cancellable: true)
            return value
        } catch {
            if connection.isAlive {
                _ = try? await connection.run(
                    "ROLLBACK TO SAVEPOINT \(name)", [], format: .text, prepared: false, cancellable: false)
            }
            throw error
        }
    }
}

extension PostgresConnection {
    /// BEGIN; body; COMMIT — or ROLLBACK when the body throws (also when the task was
    /// cancelled). With `clientID`, the transaction runs in that tenant's scope:
    /// `set_config('pulse.client_id', $1, true)` is what row-level security checks.
    public func transaction<T>(
        readOnly: Bool = false, clientID: Int? = nil, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresTransaction) async throws -> T
    ) async throws -> T {
        _ = try await run(readOnly ? "BEGIN READ ONLY" : "BEGIN", [], format: .text, prepared: false, cancellable: true)
        do {
            if let clientID {
                try await query("SELECT set_config('pulse.client_id', $1, true)", [String(clientID)])
            }
            let value = try await body(PostgresTransaction(connection: self, clientID: clientID, depth: 0))
            let commit = try await run("COMMIT", [], format: .text, prepared: false, cancellable: false)
            if commit.commandTag == "ROLLBACK" {
                throw PostgresError(
                    .server, message: "transaction was aborted by an earlier error and has been rolled back",
                    sqlState: "25P02")
            }
            return value
        } catch {
            if isAlive && !isIdleOutsideTransaction {
                _ = try? await run("ROLLBACK", [], format: .text, prepared: false, cancellable: false)
            }
            throw error
        }
    }

    /// `SELECT pg_notify($1, $2)`.
    public func notify(channel: String, payload: String) async throws {
        try await query("SELECT pg_notify($1, $2)", [channel, payload])
    }
}
