import ArgumentParser
import Foundation
import PulseAuth
import PulseCore

/// The operator's writes of tenants and identities, shared by `pulse clients|users|
/// service-accounts create` and by `pulse up`'s demo tenant. They go straight into PostgreSQL
/// as the owner role (clients are not visible to the app role); tenant rows are still written
/// inside the client's RLS scope. Formats match PulseAuth: emails trimmed and lower-cased,
/// PBKDF2 production hashes, service-account secrets hashed by `AuthService`.
enum TenantBootstrap {
    /// Runs `body` with a database on `ownerURL` and always shuts it down before returning:
    /// a command must not exit while the connection reactor is still closing connections
    /// (libpq and OpenSSL are torn down at exit under it, which crashed `pulse clients create`).
    static func withDatabase<T: Sendable>(ownerURL: String, _ body: (PostgresDatabase) async throws -> T) async throws -> T {
        let database = try PostgresDatabase(configuration: PostgresConfiguration(primary: ownerURL))
        do {
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }

    /// The id of the client with `slug`, or nil.
    static func clientID(slug: String, in database: PostgresDatabase) async throws -> Int? {
        try await database.read { tx in
            try await tx.query("SELECT id FROM clients WHERE slug = $1", slug).first?.decode(Int.self, at: 0)
        }
    }

    /// Creates a client with its built-in roles (`admin`, `viewer`, `etl-admin`: PulseAuth's
    /// `BuiltInRoles`) and returns its id.
    static func createClient(slug: String, name: String, platform: Bool = false, in database: PostgresDatabase) async throws -> Int {
        let id = try await database.write { tx in
            try await tx.query("INSERT INTO clients (name, slug, is_platform) VALUES ($1, $2, $3) RETURNING id", name, slug, platform)[0]
                .decode(Int.self, at: 0)
        }
        if !platform { try await database.client(id).write { tx in try await BuiltInRoles.install(tx, clientID: id) } }
        return id
    }

    /// The role's id, creating the role when missing.
    static func ensureRole(_ tx: PostgresTransaction, clientID: Int, name: String) async throws -> Int {
        try await tx.query(
            "INSERT INTO roles (client_id, name) VALUES ($1, $2) ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id",
            clientID, name)[0].decode(Int.self, at: 0)
    }

    /// Grants `permissions` (on every resource) to the role, creating it when missing.
    static func grant(_ permissions: [String], toRole role: String, clientID: Int, in database: PostgresDatabase) async throws {
        try await database.client(clientID).write { tx in
            let roleID = try await ensureRole(tx, clientID: clientID, name: role)
            for permission in permissions {
                try await tx.query(
                    "INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    clientID, roleID, permission)
            }
        }
    }

    /// The first line of stdin (at least 8 characters) or, without `fromStdin`, a new random one.
    static func password(fromStdin: Bool) throws -> String {
        guard fromStdin else { return SecureRandom.token(byteCount: 12) }
        guard let line = readLine(strippingNewline: true), line.count >= 8 else {
            throw ValidationError("the password on stdin needs at least 8 characters")
        }
        return line
    }

    /// The normalised form of an email address, or nil when it is not one.
    static func normalisedEmail(_ email: String) -> String? {
        let normalised = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard normalised.contains("@"), normalised.utf8.count <= 255 else { return nil }
        return normalised
    }

    /// Creates a local user with `password` and the given roles (created when missing).
    static func createUser(clientID: Int, email: String, password: String, roles: [String],
                           in database: PostgresDatabase) async throws -> Int {
        let hash = PasswordHasher.production.hash(password)
        return try await database.client(clientID).write { tx in
            // A client made before the built-in roles existed gets them now, not an empty role.
            if roles.contains(where: { BuiltInRoles.permissions(of: $0) != nil }) {
                try await BuiltInRoles.install(tx, clientID: clientID)
            }
            let id = try await tx.query("INSERT INTO users (client_id, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
                                        clientID, email, hash)[0].decode(Int.self, at: 0)
            for name in roles {
                let roleID = try await ensureRole(tx, clientID: clientID, name: name)
                try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3)", clientID, id, roleID)
            }
            return id
        }
    }

    /// Whether the client has a user with this (normalised) email.
    static func userExists(clientID: Int, email: String, in database: PostgresDatabase) async throws -> Bool {
        try await database.client(clientID).read { tx in
            try await tx.query("SELECT 1 FROM users WHERE email = $1", email).first != nil
        }
    }
}
