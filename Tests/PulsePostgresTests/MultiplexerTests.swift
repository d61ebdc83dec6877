import Foundation
import PulsePostgres
import PulseSystem
import PulseTestSupport
import Testing

/// `PostgresMultiplexer`: statements of many tasks pipelined over one connection per loop.
extension ClusterSuite {
    /// Runs `count` statements from `tasks` concurrent tasks, half on two event loops and half
    /// in the global pool; each must get its own answer back.
    @Test func multiplexedStatementsGetTheirOwnAnswers() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let multiplexer = try PostgresMultiplexer(conninfo: url)
        let group = try EventLoopGroup(count: 2)
        let answers = try await withThrowingTaskGroup(of: [Int: Int].self) { tasks in
            for task in 0..<24 {
                let body: @Sendable () async throws -> [Int: Int] = {
                    var seen: [Int: Int] = [:]
                    for step in 0..<50 {
                        let value = task * 1000 + step
                        let rows = try await multiplexer.query("SELECT $1::int * 2, $2::text", [value, "t\(value)"])
                        #expect(try rows[0].decode(String.self, at: 1) == "t\(value)")
                        seen[value] = try rows[0].decode(Int.self, at: 0)
                    }
                    return seen
                }
                if task % 2 == 0 {
                    tasks.addTask(executorPreference: group.loops[task % 4 / 2], operation: body)
                } else {
                    tasks.addTask(operation: body)
                }
            }
            return try await tasks.reduce(into: [Int: Int]()) { $0.merge($1) { a, _ in a } }
        }
        #expect(answers.count == 24 * 50)
        #expect(answers.allSatisfy { $0.value == $0.key * 2 })
        await multiplexer.shutdown()
        await group.shutdown()
    }

    /// A failing statement fails alone: the statements pipelined around it run and commit.
    @Test func aFailingMultiplexedStatementFailsAlone() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let admin = try await Self.superuser()
        defer { admin.close() }
        let table = "mux_writes_\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.execute("CREATE TABLE \(table) (v int PRIMARY KEY)")  // our own identifier
        let multiplexer = try PostgresMultiplexer(conninfo: url)
        let group = try EventLoopGroup(count: 1)
        let outcomes = try await Task(executorPreference: group.loops[0]) {
            try await withThrowingTaskGroup(of: (Int, String?).self) { tasks in
                for value in 1...60 {
                    tasks.addTask {
                        do {
                            // Every third divides by zero; the others insert value / 1.
                            let divisor = value % 3 == 0 ? 0 : 1
                            try await multiplexer.query("INSERT INTO \(table) VALUES ($1::int / $2::int)", [value, divisor])
                            return (value, nil)
                        } catch let error as PostgresError {
                            return (value, error.sqlState)
                        }
                    }
                }
                return try await tasks.reduce(into: [Int: String?]()) { $0[$1.0] = $1.1 }
            }
        }.value
        #expect(outcomes.filter { $0.key % 3 == 0 }.allSatisfy { $0.value == "22012" })
        #expect(outcomes.filter { $0.key % 3 != 0 }.allSatisfy { $0.value == nil })
        let stored = try await admin.query("SELECT v FROM \(table) ORDER BY v").map { try $0.decode(Int.self, at: 0) }
        #expect(stored == (1...60).filter { $0 % 3 != 0 })
        // Bad SQL: the parse error (with its SQLSTATE) for every statement that used the text,
        // also those pipelined right behind the failed Parse.
        let syntax = try await withThrowingTaskGroup(of: String?.self) { tasks in
            for _ in 0..<5 {
                tasks.addTask {
                    do {
                        try await multiplexer.query("SELEC 1")
                        return nil
                    } catch let error as PostgresError {
                        return error.sqlState
                    }
                }
            }
            return try await tasks.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(syntax == Array(repeating: "42601", count: 5))
        #expect(try await multiplexer.query("SELECT count(*) FROM \(table)")[0].decode(Int.self, at: 0) == 40)
        try await admin.execute("DROP TABLE \(table)")
        await multiplexer.shutdown()
        await group.shutdown()
    }

    /// With a client id, the statement runs in that tenant's scope (row-level security), and
    /// the scope ends with the statement.
    @Test func multiplexedStatementsRunInTheirTenantScope() async throws {
        let db = try await Self.database()
        let a = try await Self.makeClient(Self.uniqueSlug("mux-a"))
        let b = try await Self.makeClient(Self.uniqueSlug("mux-b"))
        try await db.client(a).query("INSERT INTO users (client_id, email) VALUES ($1, 'ann@mux-a.io')", [a])
        try await db.client(b).query("INSERT INTO users (client_id, email) VALUES ($1, 'bob@mux-b.io')", [b])
        let group = try EventLoopGroup(count: 1)
        let seen = try await Task(executorPreference: group.loops[0]) {
            try await withThrowingTaskGroup(of: (Int?, [String]).self) { tasks in
                for client in [a, b, nil, a, b, nil] {
                    tasks.addTask {
                        let rows = try await db.query(
                            "SELECT email FROM users WHERE client_id = ANY($1::int[])", [[a, b]], clientID: client)
                        return (client, try rows.map { try $0.decode(String.self, at: 0) })
                    }
                }
                return try await tasks.reduce(into: [(Int?, [String])]()) { $0.append($1) }
            }
        }.value
        for (client, emails) in seen {
            switch client {
            case a: #expect(emails == ["ann@mux-a.io"])
            case b: #expect(emails == ["bob@mux-b.io"])
            default: #expect(emails.isEmpty)
            }
        }
        // A forged write into B's rows from A's scope is refused.
        await #expect(throws: PostgresError.self) {
            try await db.client(a).query("INSERT INTO users (client_id, email) VALUES ($1, 'evil@mux-b.io')", [b])
        }
        await db.shutdown()
        await group.shutdown()
    }

    /// The server ends the pipelined connection: the next statements connect again.
    @Test func aMultiplexerReconnectsAfterItsConnectionIsKilled() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let admin = try await Self.superuser()
        defer { admin.close() }
        let multiplexer = try PostgresMultiplexer(conninfo: url)
        let first = try await multiplexer.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        try await admin.query("SELECT pg_terminate_backend($1)", [first])
        var second: Int?
        for _ in 0..<20 where second == nil {
            do {
                second = try await multiplexer.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
            } catch let error as PostgresError where error.code == .connectionLost {
                try await Task.sleep(for: .milliseconds(50))  // in flight when the kill landed
            }
        }
        #expect(second != nil && second != first)
        await multiplexer.shutdown()
    }

    /// A cancelled caller gets its error at once; statement_timeout ends the statement on the
    /// server, and the connection goes on serving others.
    @Test func aCancelledMultiplexedStatementIsAbandoned() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let multiplexer = try PostgresMultiplexer(conninfo: url, statementTimeout: .seconds(1))
        let sleeper = Task { try await multiplexer.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(200))
        let started = ContinuousClock.now
        sleeper.cancel()
        do {
            _ = try await sleeper.value
            Issue.record("a cancelled statement returned rows")
        } catch let error as PostgresError {
            #expect(error.code == .cancelled)
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        // The abandoned statement ends by statement_timeout; later statements run.
        #expect(try await multiplexer.query("SELECT 7")[0].decode(Int.self, at: 0) == 7)
        await #expect(throws: PostgresError.self) { try await multiplexer.query("SELECT pg_sleep(5)") }
        #expect(try await multiplexer.query("SELECT 8")[0].decode(Int.self, at: 0) == 8)
        await multiplexer.shutdown()
    }

    /// Bad input and an unreachable or shut-down database: clear errors, nothing hangs.
    @Test func multiplexerBadInputAndUnreachableServer() async throws {
        #expect(throws: PostgresError.self) { try PostgresMultiplexer(conninfo: "host=a bogus_keyword=1") }
        let url = try await Self.handle().connection.superuserURL!
        #expect(throws: PostgresError.self) { try PostgresMultiplexer(conninfo: url, connectionsPerLoop: 0) }
        #expect(throws: PostgresError.self) { try PostgresMultiplexer(conninfo: url, spillThreshold: 0) }
        let multiplexer = try PostgresMultiplexer(conninfo: url)
        do {
            try await multiplexer.query("SELECT $1::text", ["nul\u{0}byte"])
            Issue.record("a NUL byte was sent")
        } catch let error as PostgresError {
            #expect(error.code == .invalidArgument)
        }
        do {
            try await multiplexer.query("SELECT 1", Array(repeating: 1, count: 70_000))
            Issue.record("70,000 parameters were accepted")
        } catch let error as PostgresError {
            #expect(error.code == .invalidArgument)
        }
        do {
            try await multiplexer.query("SELECT $1::int", ["99999999999"])
            Issue.record("an out-of-range value was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "22003")
        }
        await multiplexer.shutdown()
        do {
            try await multiplexer.query("SELECT 1")
            Issue.record("a shut-down multiplexer ran a statement")
        } catch let error as PostgresError {
            #expect(error.code == .unavailable)
        }
        let port = FreePorts.one()
        let unreachable = try PostgresMultiplexer(
            conninfo: "postgresql://nobody@127.0.0.1:\(port)/none", connectTimeout: .seconds(2))
        do {
            try await unreachable.query("SELECT 1")
            Issue.record("a statement ran without a server")
        } catch let error as PostgresError {
            #expect(error.code == .unavailable)
        }
        await unreachable.shutdown()
    }
}

extension ClusterSuite {
    /// The event loop driving a pipelined connection stops (its server shut down) while a
    /// statement is in flight: the statement fails instead of waiting forever, and shutting the
    /// multiplexer down afterwards returns.
    @Test func aStoppedLoopFailsItsMultiplexedStatements() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let multiplexer = try PostgresMultiplexer(conninfo: url)
        let group = try EventLoopGroup(count: 1)
        let sleeper = Task(executorPreference: group.loops[0]) {
            try await multiplexer.query("SELECT pg_sleep(3)")
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        await group.shutdown()
        do {
            _ = try await sleeper.value
            Issue.record("the statement finished although its loop stopped")
        } catch let error as PostgresError {
            #expect(error.code == .connectionLost)
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        await multiplexer.shutdown()
    }
}

extension ClusterSuite {
    /// A loop's statements fill one connection first and spill to the next only beyond
    /// `spillThreshold` waiting: few callers share one server process (large batches), many
    /// callers are spread over several (short queues).
    @Test func multiplexedStatementsSpillToAnotherConnectionOnlyUnderLoad() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let multiplexer = try PostgresMultiplexer(conninfo: url, connectionsPerLoop: 4, spillThreshold: 8)
        let group = try EventLoopGroup(count: 1)
        /// Server process ids seen by `callers` concurrent statements that each hold the
        /// connection for 200 ms (so the queue cannot drain while the callers submit).
        func backends(callers: Int) async throws -> Set<Int> {
            try await Task(executorPreference: group.loops[0]) {
                try await withThrowingTaskGroup(of: Int.self) { tasks in
                    for _ in 0..<callers {
                        tasks.addTask {
                            try await multiplexer.query("SELECT pg_backend_pid(), pg_sleep(0.2)")[0].decode(Int.self, at: 0)
                        }
                    }
                    return try await tasks.reduce(into: Set<Int>()) { $0.insert($1) }
                }
            }.value
        }
        #expect(try await backends(callers: 4).count == 1)
        let spread = try await backends(callers: 24)
        #expect(spread.count >= 2 && spread.count <= 4)
        await multiplexer.shutdown()
        await group.shutdown()
    }
}

extension ClusterSuite {
    /// A slow statement does not hold up the quick ones of its loop: once it has run past
    /// `stallAfter`, new statements go to another connection instead of queueing behind it.
    @Test func quickMultiplexedStatementsDoNotWaitBehindASlowOne() async throws {
        let url = try await Self.handle().connection.superuserURL!
        let multiplexer = try PostgresMultiplexer(conninfo: url, connectionsPerLoop: 2, stallAfter: .milliseconds(25))
        let group = try EventLoopGroup(count: 1)
        let (slowPID, quickPIDs, quickTime) = try await Task(executorPreference: group.loops[0]) {
            async let slow = multiplexer.query("SELECT pg_backend_pid(), pg_sleep(2)")[0].decode(Int.self, at: 0)
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            var quick: Set<Int> = []
            for _ in 0..<4 {
                quick.insert(try await multiplexer.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0))
            }
            let elapsed = ContinuousClock.now - started
            return (try await slow, quick, elapsed)
        }.value
        #expect(!quickPIDs.contains(slowPID))
        #expect(quickTime < .seconds(1))  // behind the slow statement they would take 1.7 s
        await multiplexer.shutdown()
        await group.shutdown()
    }
}
