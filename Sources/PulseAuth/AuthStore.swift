import Foundation
import PulsePostgres
import PulseSecurity

/// A user as the login path needs it.
struct StoredUser: Sendable {
    var id: Int
    var email: String
    var passwordHash: String?
    var active: Bool
    var firstName: String?
    var lastName: String?
}

/// Roles and the permissions they grant (`permission` or `permission@resource` when the grant
/// is narrower than `*`).
struct Grants: Sendable, Equatable {
    var roles: [String] = []
    var permissions: [String] = []
}

/// A service account row (integrators, client_credentials).
struct StoredServiceAccount: Sendable {
    var id: Int
    var clientID: Int
    var key: String
    var name: String
    var secretHash: String
    var active: Bool
    var roleID: Int?
}

/// Every SQL statement of the auth service. All tenant data goes through
/// `database.client(id)`, so row-level security checks `client_id` as a second wall; the
/// three owner-defined lookups (`pulse_client_id_for_*`) are the only way to learn a
/// tenant before a scope exists, and they reveal only its id.
struct AuthStore: Sendable {
    let database: PostgresDatabase

    // MARK: Tenants

    /// The id of an active client by its login slug.
    func clientID(slug: String) async throws -> Int? {
        guard slug.utf8.count <= 63, !slug.contains("\0") else { return nil }
        let id = try await database.read { tx in
            try await tx.query("SELECT pulse_client_id_for_slug($1)", slug).first?.decode(Int?.self, at: 0)
        }
        guard let id else { return nil }
        let active = try await database.client(id).read { tx in
            try await tx.query("SELECT active FROM clients WHERE id = $1", id).first?.decode(Bool.self, at: 0)
        }
        return active == true ? id : nil
    }

    func clientIsActive(_ clientID: Int) async throws -> Bool {
        try await database.client(clientID).read { tx in
            try await tx.query("SELECT active FROM clients WHERE id = $1", clientID).first?.decode(Bool.self, at: 0)
        } == true
    }

    // MARK: Users

    func user(clientID: Int, email: String) async throws -> StoredUser? {
        try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT id, email, password_hash, active, first_name, last_name FROM users WHERE email = $1", email
            ).first.map(Self.user)
        }
    }

    func user(clientID: Int, id: Int) async throws -> StoredUser? {
        try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT id, email, password_hash, active, first_name, last_name FROM users WHERE id = $1", id
            ).first.map(Self.user)
        }
    }

    private static func user(_ row: PostgresRow) throws -> StoredUser {
        StoredUser(id: try row.decode(Int.self, "id"), email: try row.decode(String.self, "email"),
                   passwordHash: try row.decode(String?.self, "password_hash"), active: try row.decode(Bool.self, "active"),
                   firstName: try row.decode(String?.self, "first_name"), lastName: try row.decode(String?.self, "last_name"))
    }

    /// Creates a local user with a password hash and optional roles (by name, created when
    /// missing). Emails are stored normalised (trimmed, lower-cased).
    @discardableResult
    func createUser(clientID: Int, email: String, passwordHash: String?, roles: [String] = []) async throws -> Int {
        try await database.client(clientID).write { tx in
            let id = try await tx.query(
                "INSERT INTO users (client_id, email, password_hash) VALUES ($1, $2, $3) RETURNING id",
                clientID, AuthService.normaliseEmail(email), passwordHash
            )[0].decode(Int.self, at: 0)
            for role in roles {
                let roleID = try await Self.ensureRole(tx, clientID: clientID, name: role)
                try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3)", clientID, id, roleID)
            }
            return id
        }
    }

    static func ensureRole(_ tx: PostgresTransaction, clientID: Int, name: String) async throws -> Int {
        try await tx.query(
            """
            INSERT INTO roles (client_id, name) VALUES ($1, $2)
            ON CONFLICT (client_id, name) DO UPDATE SET name = EXCLUDED.name RETURNING id
            """, clientID, name)[0].decode(Int.self, at: 0)
    }

    /// Grants `permission` (on every resource) to a role, creating the role if needed.
    func grant(clientID: Int, role: String, permission: String) async throws {
        try await database.client(clientID).write { tx in
            let roleID = try await Self.ensureRole(tx, clientID: clientID, name: role)
            try await tx.query(
                "INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                clientID, roleID, permission)
        }
    }

    func updatePasswordHash(clientID: Int, userID: Int, hash: String) async throws {
        try await database.client(clientID).write { tx in
            try await tx.query("UPDATE users SET password_hash = $2 WHERE id = $1", userID, hash)
        }
    }

    func grants(clientID: Int, userID: Int) async throws -> Grants {
        try await database.client(clientID).read { tx in
            Self.grants(try await tx.query(
                """
                SELECT r.name, rp.permission, rp.resource FROM user_roles ur
                JOIN roles r ON r.client_id = ur.client_id AND r.id = ur.role_id
                LEFT JOIN role_permissions rp ON rp.client_id = r.client_id AND rp.role_id = r.id
                WHERE ur.user_id = $1
                """, userID))
        }
    }

    static let roleGrantsSQL = """
        SELECT r.name, rp.permission, rp.resource FROM roles r
        LEFT JOIN role_permissions rp ON rp.client_id = r.client_id AND rp.role_id = r.id
        WHERE r.id = $1
        """

    private static func grants(_ rows: PostgresRows) -> Grants {
        var roles = Set<String>(), permissions = Set<String>()
        for row in rows {
            if let name = try? row.decode(String.self, at: 0) { roles.insert(name) }
            if let permission = try? row.decode(String?.self, at: 1) {
                let resource = (try? row.decode(String?.self, at: 2)) ?? "*"
                permissions.insert(resource == "*" ? permission : "\(permission)@\(resource)")
            }
        }
        return Grants(roles: roles.sorted(), permissions: permissions.sorted())
    }

    // MARK: Service accounts

    /// A service account, whether its client is active, and its role's grants, in one
    /// tenant-scoped transaction (the client_credentials hot path: two round trips to the
    /// database before the audit write instead of four).
    func serviceAccountWithGrants(key: String) async throws -> (account: StoredServiceAccount, clientActive: Bool, grants: Grants)? {
        guard key.utf8.count <= 100, !key.contains("\0") else { return nil }
        let clientID = try await database.read { tx in
            try await tx.query("SELECT pulse_client_id_for_service_account($1)", key).first?.decode(Int?.self, at: 0)
        }
        guard let clientID else { return nil }
        return try await database.client(clientID).read { tx in
            guard let row = try await tx.query(
                """
                SELECT sa.id, sa.client_id, sa.account_key, sa.name, sa.secret_hash, sa.active, sa.role_id, c.active AS client_active
                FROM service_accounts sa JOIN clients c ON c.id = sa.client_id WHERE sa.account_key = $1
                """, key
            ).first else { return nil }
            let account = StoredServiceAccount(
                id: try row.decode(Int.self, "id"), clientID: try row.decode(Int.self, "client_id"),
                key: try row.decode(String.self, "account_key"), name: try row.decode(String.self, "name"),
                secretHash: try row.decode(String.self, "secret_hash"), active: try row.decode(Bool.self, "active"),
                roleID: try row.decode(Int?.self, "role_id"))
            var grants = Grants()
            if let roleID = account.roleID {
                grants = Self.grants(try await tx.query(Self.roleGrantsSQL, roleID))
            }
            return (account, try row.decode(Bool.self, "client_active"), grants)
        }
    }

    func createServiceAccount(clientID: Int, name: String, key: String, secretHash: String, role: String?) async throws -> Int {
        try await database.client(clientID).write { tx in
            var roleID: Int?
            if let role { roleID = try await Self.ensureRole(tx, clientID: clientID, name: role) }
            return try await tx.query(
                "INSERT INTO service_accounts (client_id, name, account_key, secret_hash, role_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                clientID, name, key, secretHash, roleID)[0].decode(Int.self, at: 0)
        }
    }

    func touchServiceAccount(clientID: Int, id: Int, at now: Date) async throws {
        try await database.client(clientID).write { tx in
            try await tx.query("UPDATE service_accounts SET last_used_at = $2 WHERE id = $1", id, now)
        }
    }

    // MARK: Audit

    /// One audit row; `details` is a flat object of strings.
    func audit(_ tx: PostgresTransaction, clientID: Int, event: String, outcome: String, userID: Int? = nil,
               serviceAccountID: Int? = nil, actor: String? = nil, address: String?, userAgent: String?,
               details: [String: String] = [:], at now: Date) async throws {
        let json = JSONBody.object(details.sorted { $0.key < $1.key }.map { ($0.key, JSONBody.string($0.value)) }).text
        try await tx.query(
            """
            INSERT INTO auth_audit_events (client_id, event_type, outcome, user_id, service_account_id, actor, ip_address,
                                           user_agent, details, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10)
            """,
            clientID, event, outcome, userID, serviceAccountID, actor.map { String($0.prefix(255)) },
            address.map { String($0.prefix(64)) }, userAgent.map { String($0.prefix(512)) }, json, now)
    }

    func audit(clientID: Int, event: String, outcome: String, userID: Int? = nil, serviceAccountID: Int? = nil,
               actor: String? = nil, address: String?, userAgent: String?, details: [String: String] = [:], at now: Date) async throws {
        try await database.client(clientID).write { tx in
            try await audit(tx, clientID: clientID, event: event, outcome: outcome, userID: userID, serviceAccountID: serviceAccountID,
                            actor: actor, address: address, userAgent: userAgent, details: details, at: now)
        }
    }
}
