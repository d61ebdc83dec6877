import Foundation
import PulsePostgres
import PulseTestSupport
import Testing

extension ClusterSuite {
    @Test func rowLevelSecurityIsolatesClients() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let a = try await Self.makeClient(Self.uniqueSlug("a"))
        let b = try await Self.makeClient(Self.uniqueSlug("b"))
        for (client, email) in [(a, "ann@a.io"), (b, "bob@b.io")] {
            try await db.client(client).write { transaction in
                try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, $2)", [client, email])
            }
        }
        // Under A, even a forged filter on B returns nothing; B's rows never appear.
        let underA = try await db.client(a).read { transaction in
            (
                try await transaction.query("SELECT email FROM users").map { try $0.decode(String.self, at: 0) },
                try await transaction.query("SELECT count(*) FROM users WHERE client_id = $1", [b])[0].decode(Int.self, at: 0),
                try await transaction.query("SELECT count(*) FROM clients")[0].decode(Int.self, at: 0)
            )
        }
        #expect(underA.0 == ["ann@a.io"] && underA.1 == 0 && underA.2 == 1)
        // The same on the replica.
        let onReplica = try await db.client(a).read(.analytics) { transaction in
            try await transaction.query("SELECT count(*) FROM users WHERE client_id = $1", [b])[0].decode(Int.self, at: 0)
        }
        #expect(onReplica == 0)
        // Writing into B, updating or deleting B's rows from A's scope is refused or touches nothing.
        do {
            try await db.client(a).write { transaction in
                try await transaction.query("INSERT INTO users (client_id, email) VALUES ($1, 'evil@b.io')", [b])
            }
            Issue.record("cross-tenant insert accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42501")
        }
        let touched = try await db.client(a).write { transaction in
            try await transaction.query("UPDATE users SET first_name = 'x' WHERE client_id = $1", [b]).affectedRows
                + (try await transaction.query("DELETE FROM users WHERE client_id = $1", [b]).affectedRows)
        }
        #expect(touched == 0)
        // No client scope: no tenant rows at all.
        let unscoped = try await db.read { transaction in
            (
                try await transaction.query("SELECT count(*) FROM users")[0].decode(Int.self, at: 0),
                try await transaction.query("SELECT count(*) FROM clients")[0].decode(Int.self, at: 0)
            )
        }
        #expect(unscoped.0 == 0 && unscoped.1 == 0)
        // The scope does not leak into the next transaction on the same connection.
        try await db.primary.withConnection { connection in
            _ = try await connection.transaction(clientID: a) { try await $0.query("SELECT 1") }
            let after = try await connection.transaction { try await $0.query("SELECT count(*) FROM users") }
            #expect(try after[0].decode(Int.self, at: 0) == 0)
        }
    }

    @Test func everyTenantTableForcesRowLevelSecurity() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let rows = try await db.read { transaction in
            try await transaction.query(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner)
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'r'
                  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'client_id')
                """)
        }
        #expect(rows.count >= 30)
        for row in rows {
            let table = try row.decode(String.self, at: 0)
            #expect(try row.decode(Bool.self, at: 1), "\(table) has RLS disabled")
            #expect(try row.decode(Bool.self, at: 2), "\(table) does not FORCE RLS")
            #expect(try row.decode(String.self, at: 3) == "pulse_owner")
        }
        let role = try await db.read { transaction in
            try await transaction.query(
                "SELECT rolbypassrls, rolsuper, current_user FROM pg_roles WHERE rolname = current_user")[0]
        }
        #expect(try role.decode(Bool.self, at: 0) == false && role.decode(Bool.self, at: 1) == false)
        #expect(try role.decode(String.self, at: 2) == "pulse_app")
        // The app role cannot change the schema or disable RLS.
        await #expect(throws: PostgresError.self) {
            try await db.write { try await $0.query("ALTER TABLE users DISABLE ROW LEVEL SECURITY") }
        }
    }

    @Test func slugLookupWithoutScope() async throws {
        let db = try await Self.database()
        defer { Task { await db.shutdown() } }
        let slug = Self.uniqueSlug("login")
        let id = try await Self.makeClient(slug)
        let found = try await db.read { transaction in
            try await transaction.query("SELECT pulse_client_id_for_slug($1)", [slug])[0].decode(Int?.self, at: 0)
        }
        #expect(found == id)
    }
}
