import Foundation
import PulsePostgres
import PulseTestSupport
import Testing

struct Profile: Codable, Sendable, Equatable {
    var theme: String
    var widgets: [String]
}

enum Mode: String, Codable, Sendable { case light, dark, system }

struct Decoded: Decodable {
    let id: Int
    let displayName: String
    let score: Double?
    let mode: Mode
    let tags: [String]
    let profile: Profile
    let seenAt: Date
}

extension ClusterSuite {
    @Test(arguments: [PostgresFormat.text, .binary])
    func scalarRoundTrips(format: PostgresFormat) async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let id = UUID()
        let date = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let unicode = "héllo 🌍 日本語 \u{2028} \"quoted\" 'single' \\ back"
        let big = String(repeating: "ab€", count: 400_000)
        let row = try await db.primary.withConnection { connection in
            try await connection.query(
                """
                SELECT $1::int2 AS a, $2::int4 AS b, $3::int8 AS c, $4::float8 AS d, $5::float4 AS e, $6::bool AS f,
                       $7::text AS g, $8::uuid AS h, $9::timestamptz AS i, $10::text AS j, $11::int8 AS k,
                       $12::text[] AS l, $13::bytea AS m, $14::jsonb AS n, $15::float8 AS o
                """,
                [
                    Int16.min, Int32.max, Int64.min, 3.141592653589793, Float(1.1), true, unicode, id, date, big,
                    Int?.none, ["a,b", "q\"t", "back\\slash", "{brace}", "NULL"], Data([0, 1, 255, 16]),
                    PostgresJSON(Profile(theme: "dark", widgets: ["dora"])), Double.infinity,
                ], format: format)[0]
        }
        #expect(try row.decode(Int16.self, "a") == Int16.min)
        #expect(try row.decode(Int32.self, "b") == Int32.max)
        #expect(try row.decode(Int64.self, "c") == Int64.min)
        #expect(try row.decode(Double.self, "d") == 3.141592653589793)
        #expect(try row.decode(Float.self, "e") == Float(1.1))
        #expect(try row.decode(Bool.self, "f") == true)
        #expect(try row.decode(String.self, "g") == unicode)
        #expect(try row.decode(UUID.self, "h") == id)
        let decodedDate = try row.decode(Date.self, "i")
        #expect(abs(decodedDate.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
        #expect(try row.decode(String.self, "j") == big)
        #expect(try row.decode(Int?.self, "k") == nil)
        #expect(throws: PostgresError.self) { try row.decode(Int.self, "k") }
        #expect(try row.decode([String].self, "l") == ["a,b", "q\"t", "back\\slash", "{brace}", "NULL"])
        #expect(try row.decode(Data.self, "m") == Data([0, 1, 255, 16]))
        #expect(try row.decode(PostgresJSON<Profile>.self, "n").value == Profile(theme: "dark", widgets: ["dora"]))
        #expect(try row.decode(Double.self, "o") == .infinity)
    }

    @Test func embeddingRoundTripAndDimensionCheck() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let vector = (0..<1536).map { Float(sin(Double($0))) * 1e-3 + Float($0) / 7 }
        try await db.primary.withConnection { connection in
            try await connection.execute("CREATE TEMP TABLE vectors (v vector1536, w vector1536)")
            try await connection.query("INSERT INTO vectors VALUES ($1, NULL)", [vector])
            for format in [PostgresFormat.text, .binary] {
                let row = try await connection.query("SELECT v, w FROM vectors", format: format)[0]
                #expect(try row.decode([Float].self, "v") == vector)
                #expect(try row.decode([Float]?.self, "w") == nil)
            }
            await #expect(throws: PostgresError.self) {
                try await connection.query("INSERT INTO vectors VALUES ($1, NULL)", [[Float](repeating: 1, count: 3)])
            }
        }
    }

    @Test func codableRowDecoding() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let rows = try await db.read { transaction in
            try await transaction.query(
                """
                SELECT 7 AS id, 'Ada' AS display_name, NULL::float8 AS score, 'dark' AS mode,
                       ARRAY['x','y'] AS tags, '{"theme":"light","widgets":[]}'::jsonb AS profile,
                       '2026-01-02 03:04:05.5+02'::timestamptz AS seen_at
                """)
        }
        let value = try rows[0].decode(as: Decoded.self)
        #expect(value.id == 7 && value.displayName == "Ada" && value.score == nil && value.mode == .dark)
        #expect(value.tags == ["x", "y"] && value.profile == Profile(theme: "light", widgets: []))
        #expect(value.seenAt == Date(timeIntervalSince1970: 1_767_315_845.5))
    }

    @Test func invalidInputIsAClearError() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        try await db.primary.withConnection { connection in
            await #expect(throws: PostgresError.self) { try await connection.query("SELECT $1::text", ["a\0b"]) }
            do {
                try await connection.query("SELECT $1::int2", [Int(70_000)])
                Issue.record("out of range accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "22003" && error.httpStatus == 400 && error.publicCode == "invalid_input")
            }
            // The connection is still usable after the errors.
            #expect(try await connection.query("SELECT 1")[0].decode(Int.self, at: 0) == 1)
        }
    }

    @Test func badSQLCarriesSQLStateButNotToClients() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        do {
            _ = try await db.read { try await $0.query("SELEC secret_column FROM nowhere") }
            Issue.record("bad SQL succeeded")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42601")
            #expect(error.code == .server)
            #expect(String(describing: error).contains("42601"))
            #expect(error.publicCode == "database_error" && error.httpStatus == 500)
            #expect(!error.publicCode.contains("secret"))
        }
    }

    @Test func rollbackWhenBodyThrowsAndSavepoints() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let client = try await Self.makeClient(Self.uniqueSlug("tx"))
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await db.write(clientID: client) { transaction in
                try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'a@x.io')", [client])
                throw Boom()
            }
        }
        try await db.write(clientID: client) { transaction in
            try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'b@x.io')", [client])
            await #expect(throws: PostgresError.self) {
                try await transaction.savepoint { inner in
                    try await inner.query("INSERT INTO users (client_id, email) VALUES ($1, 'c@x.io')", [client])
                    try await inner.query("INSERT INTO users (client_id, email) VALUES ($1, 'b@x.io')", [client])
                }
            }
        }
        let emails = try await db.read(clientID: client) { transaction in
            try await transaction.query("SELECT email FROM users ORDER BY email").map { try $0.decode(String.self, at: 0) }
        }
        #expect(emails == ["b@x.io"])
        do {
            try await db.write(clientID: client) { transaction in
                try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'b@x.io')", [client])
            }
        } catch let error as PostgresError {
            #expect(error.httpStatus == 409 && error.publicCode == "conflict")
        }
    }

    @Test func poolExhaustionTimesOut() async throws {
        let db = try await Self.database {
            $0.primaryPool.maxConnections = 2
            $0.primaryPool.acquireTimeout = .milliseconds(300)
        }
        defer { Task { await db.shutdown() } }
        let first = try await db.primary.acquire()
        let second = try await db.primary.acquire()
        let started = ContinuousClock.now
        do {
            _ = try await db.primary.acquire()
            Issue.record("third acquire succeeded")
        } catch let error as PostgresError {
            #expect(error.code == .poolTimeout && error.httpStatus == 503)
            #expect(ContinuousClock.now - started < .seconds(3))
        }
        db.primary.release(first)
        #expect(try await db.primary.acquire() === first)
        db.primary.release(first)
        db.primary.release(second)
    }

    @Test func cancellationCancelsTheServerQuery() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let connection = try await db.primary.acquire()
        let started = ContinuousClock.now
        let task = Task { try await connection.query("SELECT pg_sleep(30)") }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("sleep was not cancelled")
        } catch let error as PostgresError {
            #expect(error.code == .cancelled && error.sqlState == "57014")
        }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(try await connection.query("SELECT 2")[0].decode(Int.self, at: 0) == 2)
        db.primary.release(connection)
    }

    @Test func statementTimeout() async throws {
        let db = try await Self.database { $0.statementTimeout = .milliseconds(200) }
        defer { Task { await db.shutdown() } }
        do {
            _ = try await db.read { try await $0.query("SELECT pg_sleep(5)") }
            Issue.record("no timeout")
        } catch let error as PostgresError {
            #expect(error.sqlState == "57014")
        }
        let inTransaction = try await Self.database()
        defer { Task { await inTransaction.shutdown() } }
        await #expect(throws: PostgresError.self) {
            try await inTransaction.read { transaction in
                try await transaction.setStatementTimeout(.milliseconds(100))
                try await transaction.query("SELECT pg_sleep(3)")
            }
        }
    }

    @Test func copyOf100kRowsIsExact() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        try await db.primary.withConnection { connection in
            try await connection.execute("CREATE TEMP TABLE copied (id int, name text, score float8, note text)")
            let count = try await connection.copyFrom("COPY copied (id, name, score, note) FROM STDIN") { writer in
                for i in 1...100_000 {
                    let note: String? = i % 1000 == 0 ? "tab\there\nnewline \\ back é" : (i % 7 == 0 ? nil : "n\(i)")
                    try await writer.write([i, "item-\(i)", Double(i) / 4, note])
                }
            }
            #expect(count == 100_000)
            let row = try await connection.query(
                "SELECT count(*), sum(id), sum(score), count(note) FROM copied")[0]
            #expect(try row.decode(Int.self, at: 0) == 100_000)
            #expect(try row.decode(Int.self, at: 1) == 5_000_050_000)
            #expect(try row.decode(Double.self, at: 2) == 1_250_012_500)
            #expect(try row.decode(Int.self, at: 3) == 100_000 - (100_000 / 7 - 100_000 / 7000))
            let special = try await connection.query("SELECT note FROM copied WHERE id = 3000")[0]
            #expect(try special.decode(String.self, at: 0) == "tab\there\nnewline \\ back é")
            // A bad row aborts the whole COPY: nothing stored.
            await #expect(throws: PostgresError.self) {
                try await connection.copyFrom("COPY copied (id) FROM STDIN") { writer in
                    try await writer.write(text: ["1"])
                    try await writer.write(text: ["not a number"])
                }
            }
            #expect(try await connection.query("SELECT count(*) FROM copied")[0].decode(Int.self, at: 0) == 100_000)
        }
    }

    @Test func listenNotify() async throws {
        let handle = try await Self.handle()
        let listener = try PostgresListener(conninfo: handle.connection.primaryURL, channels: ["pulse_test_events"])
        let received = Task {
            var iterator = listener.makeAsyncIterator()
            return try await iterator.next()
        }
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        // Keep notifying until the listener (which LISTENs asynchronously) has one.
        let sender = Task {
            while !Task.isCancelled {
                try await db.primary.withConnection { try await $0.notify(channel: "pulse_test_events", payload: "revoked:42") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(15))
            received.cancel()
        }
        defer {
            sender.cancel()
            watchdog.cancel()
        }
        let notification = try await received.value
        #expect(notification?.channel == "pulse_test_events" && notification?.payload == "revoked:42")
        #expect(throws: PostgresError.self) {
            try PostgresListener(conninfo: handle.connection.primaryURL, channels: ["bad; DROP TABLE users"])
        }
    }
}
