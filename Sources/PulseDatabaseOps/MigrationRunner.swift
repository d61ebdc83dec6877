import Foundation
import PulsePostgres

/// One numbered migration: `NNNN_name.up.sql` and (optionally) `NNNN_name.down.sql`.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let upFile: String
    public let downFile: String?
    public let upSQL: String
    public let downSQL: String?
}

/// A migration's state in a database.
public struct MigrationState: Sendable, CustomStringConvertible {
    public enum State: String, Sendable { case applied, pending, modified, missingFile = "missing file" }
    public let version: Int
    public let name: String
    public let state: State
    public let appliedAt: Date?

    public var description: String {
        String(format: "%04d", version) + " \(name): \(state.rawValue)" + (appliedAt.map { " at \($0)" } ?? "")
    }
}

public enum MigrationError: Error, CustomStringConvertible, Sendable {
    case badFileName(String)
    case duplicateVersion(Int)
    case missingUp(String)
    case modified(file: String)
    case missingFile(version: Int, name: String)
    case missingDown(file: String)
    /// A statement failed: file, 1-based line of the error, and the server's message.
    case failed(file: String, line: Int?, message: String, sqlState: String?)

    public var description: String {
        switch self {
        case .badFileName(let file): return "\(file): migration files are named NNNN_name.up.sql / NNNN_name.down.sql"
        case .duplicateVersion(let version): return "two migrations share version \(version)"
        case .missingUp(let file): return "\(file) has no matching .up.sql"
        case .modified(let file):
            return "\(file) was edited after it was applied (checksum differs); add a new migration instead"
        case .missingFile(let version, let name):
            return "migration \(version) \(name) is applied but its file is missing"
        case .missingDown(let file): return "\(file) has no .down.sql; cannot revert it"
        case .failed(let file, let line, let message, let sqlState):
            let location = line.map { "\(file):\($0)" } ?? file
            return "\(location): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") + "; nothing of it was applied"
        }
    }
}

/// Applies and reverts migrations as the owner role. Each migration runs in its own
/// transaction together with its `schema_migrations` row; a session advisory lock keeps two
/// migrators from racing; checksums (SHA-256 of the up file) refuse edited history.
public struct MigrationRunner: Sendable {
    public let directory: URL
    /// Arbitrary constant shared by every Pulse migrator.
    static let lockKey: Int64 = 7_310_042_001

    public init(directory: URL) { self.directory = directory }

    /// Reads and pairs the migration files, ordered by version.
    public func load() throws -> [Migration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var ups: [Int: (String, String)] = [:]
        var downs: [Int: String] = [:]
        for file in names {
            let parts = file.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]) else {
                throw MigrationError.badFileName(file)
            }
            if parts[1].hasSuffix(".up.sql") {
                if ups[version] != nil { throw MigrationError.duplicateVersion(version) }
                ups[version] = (String(parts[1].dropLast(7)), file)
            } else if parts[1].hasSuffix(".down.sql") {
                if downs[version] != nil { throw MigrationError.duplicateVersion(version) }
                downs[version] = file
            } else {
                throw MigrationError.badFileName(file)
            }
        }
        for (version, file) in downs where ups[version] == nil { throw MigrationError.missingUp(file) }
        return try ups.keys.sorted().map { version in
            let (name, upFile) = ups[version]!
            let downFile = downs[version]
            return Migration(
                version: version, name: name, upFile: upFile, downFile: downFile,
                upSQL: try String(contentsOf: directory.appendingPathComponent(upFile), encoding: .utf8),
                downSQL: try downFile.map { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) })
        }
    }

    /// Applies pending migrations (up to `target` if given); returns those applied.
    @discardableResult
    public func up(_ conninfo: String, to target: Int? = nil) async throws -> [Migration] {
        let migrations = try load()
        return try await locked(conninfo) { connection in
            let applied = try await verify(migrations, on: connection)
            var done: [Migration] = []
            for migration in migrations where applied[migration.version] == nil {
                if let target, migration.version > target { break }
                let started = ContinuousClock.now
                try await apply(migration.upSQL, file: migration.upFile, on: connection) { transaction in
                    let elapsed = ContinuousClock.now - started
                    try await transaction.query(
                        """
                        INSERT INTO schema_migrations (version, name, checksum, execution_ms)
                        VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'), $4)
                        """, [migration.version, migration.name, migration.upSQL, Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)])
                }
                done.append(migration)
            }
            return done
        }
    }

    /// Reverts the last `steps` applied migrations, newest first.
    @discardableResult
    public func down(_ conninfo: String, steps: Int = 1) async throws -> [Migration] {
        let migrations = try load()
        return try await locked(conninfo) { connection in
            let applied = try await verify(migrations, on: connection)
            let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
            var done: [Migration] = []
            for version in applied.keys.sorted(by: >).prefix(max(0, steps)) {
                let migration = byVersion[version]!
                guard let downSQL = migration.downSQL, let downFile = migration.downFile else {
                    throw MigrationError.missingDown(file: migration.upFile)
                }
                try await apply(downSQL, file: downFile, on: connection) { transaction in
                    try await transaction.query("DELETE FROM schema_migrations WHERE version = $1", [version])
                }
                done.append(migration)
            }
            return done
        }
    }

    /// Every migration file and applied row with its state.
    public func status(_ conninfo: String) async throws -> [MigrationState] {
        let migrations = try load()
        return try await locked(conninfo) { connection in
            let rows = try await connection.query(
                "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
            var applied: [Int: (String, String, Date)] = [:]
            for row in rows {
                applied[try row.decode(Int.self, at: 0)] = (
                    try row.decode(String.self, at: 1), try row.decode(String.self, at: 2), try row.decode(Date.self, at: 3)
                )
            }
            var states: [MigrationState] = []
            for migration in migrations {
                guard let (_, checksum, at) = applied.removeValue(forKey: migration.version) else {
                    states.append(MigrationState(version: migration.version, name: migration.name, state: .pending, appliedAt: nil))
                    continue
                }
                let current = try await self.checksum(migration.upSQL, on: connection)
                states.append(
                    MigrationState(
                        version: migration.version, name: migration.name,
                        state: current == checksum ? .applied : .modified, appliedAt: at))
            }
            for (version, (name, _, at)) in applied {
                states.append(MigrationState(version: version, name: name, state: .missingFile, appliedAt: at))
            }
            return states.sorted { $0.version < $1.version }
        }
    }

    // MARK: internals

    private func locked<T>(_ conninfo: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(conninfo)
        defer { connection.close() }
        try await connection.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
        do {
            try await connection.executeScript(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    execution_ms integer NOT NULL DEFAULT 0
                )
                """)
            let value = try await body(connection)
            try await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            return value
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock($1)", [Self.lockKey])
            throw error
        }
    }

    private func checksum(_ sql: String, on connection: PostgresConnection) async throws -> String {
        try await connection.query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [sql])[0].decode(String.self, at: 0)
    }

    /// Applied versions → checksum, after refusing edited or vanished migrations.
    private func verify(_ migrations: [Migration], on connection: PostgresConnection) async throws -> [Int: String] {
        let rows = try await connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var applied: [Int: String] = [:]
        for row in rows {
            let version = try row.decode(Int.self, at: 0)
            let checksum = try row.decode(String.self, at: 2)
            guard let migration = byVersion[version] else {
                throw MigrationError.missingFile(version: version, name: try row.decode(String.self, at: 1))
            }
            guard try await self.checksum(migration.upSQL, on: connection) == checksum else {
                throw MigrationError.modified(file: migration.upFile)
            }
            applied[version] = checksum
        }
        return applied
    }

    private func apply(
        _ sql: String, file: String, on connection: PostgresConnection,
        record: (PostgresTransaction) async throws -> Void
    ) async throws {
        do {
            try await connection.transaction { transaction in
                try await connection.executeScript(sql)
                try await record(transaction)
            }
        } catch let error as PostgresError where error.code == .server || error.code == .cancelled {
            let line = error.position.map { position in sql.prefix(max(0, position - 1)).filter { $0 == "\n" }.count + 1 }
            throw MigrationError.failed(file: file, line: line, message: error.message, sqlState: error.sqlState)
        }
    }
}
