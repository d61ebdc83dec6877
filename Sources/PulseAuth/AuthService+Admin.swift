import Foundation
import PulsePostgres
import PulseSecurity

/// Administration of one client's users, roles and service accounts (all in its scope).
extension AuthService {
    func adminListUsers(clientID: Int) async throws -> JSONBody {
        let rows = try await database.client(clientID).read { tx in
            try await tx.query(
                """
                SELECT u.id, u.email, u.active, COALESCE(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS roles
                FROM users u LEFT JOIN user_roles ur ON ur.client_id = u.client_id AND ur.user_id = u.id
                LEFT JOIN roles r ON r.client_id = ur.client_id AND r.id = ur.role_id
                GROUP BY u.id ORDER BY u.id LIMIT 1000
                """)
        }
        return .object(["users": .array(try rows.map { row in
            .object(["id": .int(Int64(try row.decode(Int.self, "id"))), "email": .string(try row.decode(String.self, "email")),
                     "active": .bool(try row.decode(Bool.self, "active")),
                     "roles": .array(try row.decode([String].self, "roles").map(JSONBody.string))])
        })])
    }

    func adminListRoles(clientID: Int) async throws -> JSONBody {
        let rows = try await database.client(clientID).read { tx in
            try await tx.query(
                """
                SELECT r.id, r.name, COALESCE(array_agg(rp.permission ORDER BY rp.permission) FILTER (WHERE rp.permission IS NOT NULL), '{}') AS permissions
                FROM roles r LEFT JOIN role_permissions rp ON rp.client_id = r.client_id AND rp.role_id = r.id
                GROUP BY r.id ORDER BY r.name
                """)
        }
        return .object(["roles": .array(try rows.map { row in
            .object(["id": .int(Int64(try row.decode(Int.self, "id"))), "name": .string(try row.decode(String.self, "name")),
                     "permissions": .array(try row.decode([String].self, "permissions").map(JSONBody.string))])
        })])
    }

    func adminListServiceAccounts(clientID: Int) async throws -> JSONBody {
        let rows = try await database.client(clientID).read { tx in
            try await tx.query("SELECT id, name, account_key, active FROM service_accounts ORDER BY id LIMIT 1000")
        }
        return .object(["service_accounts": .array(try rows.map { row in
            .object(["id": .int(Int64(try row.decode(Int.self, "id"))), "name": .string(try row.decode(String.self, "name")),
                     "client_id": .string(try row.decode(String.self, "account_key")), "active": .bool(try row.decode(Bool.self, "active"))])
        })])
    }

    func assignRole(clientID: Int, userID: Int, role: String, origin: RequestOrigin) async throws {
        let now = clock.now()
        try await database.client(clientID).write { tx in
            let roleID = try await AuthStore.ensureRole(tx, clientID: clientID, name: role)
            try await tx.query("INSERT INTO user_roles (client_id, user_id, role_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                               clientID, userID, roleID)
            try await store.audit(tx, clientID: clientID, event: "role_changed", outcome: "success", userID: userID,
                                  address: origin.address, userAgent: origin.userAgent, details: ["assigned": role], at: now)
        }
    }

    /// Why an admin change was refused.
    enum AdminRefusal: Error, Sendable, Equatable {
        /// The change would leave the client without an active admin.
        case lastAdmin
    }

    /// Whether `userID` is the only active holder of the `admin` role. Locks the active
    /// admins' rows, so two admins disabling each other at once cannot both pass.
    func isLastActiveAdmin(_ tx: PostgresTransaction, userID: Int) async throws -> Bool {
        let admins = try await tx.query(
            """
            SELECT u.id FROM users u
            JOIN user_roles ur ON ur.client_id = u.client_id AND ur.user_id = u.id
            JOIN roles r ON r.client_id = ur.client_id AND r.id = ur.role_id
            WHERE r.name = 'admin' AND u.active ORDER BY u.id FOR UPDATE OF u
            """).map { try $0.decode(Int.self, at: 0) }
        return admins == [userID]
    }

    /// Disables a user, revokes its sessions and refresh tokens, and pushes a subject
    /// revocation so its live access tokens stop everywhere. False when not in this tenant;
    /// `AdminRefusal.lastAdmin` for the client's last active admin.
    func disableUser(clientID: Int, userID: Int, origin: RequestOrigin) async throws -> Bool {
        let now = clock.now()
        return try await database.client(clientID).write { tx in
            if try await isLastActiveAdmin(tx, userID: userID) { throw AdminRefusal.lastAdmin }
            guard try await tx.query("UPDATE users SET active = false WHERE id = $1 RETURNING id", userID).count == 1 else { return false }
            try await tx.query("UPDATE user_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", userID, now)
            try await tx.query("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", userID, now)
            try await publish(tx, .subject(clientID: String(clientID), subject: String(userID), issuedBefore: now.addingTimeInterval(1),
                                           until: revocationHorizon(now)))
            try await store.audit(tx, clientID: clientID, event: "user_disabled", outcome: "success", userID: userID,
                                  address: origin.address, userAgent: origin.userAgent, at: now)
            return true
        }
    }

    /// Takes a role from a user; `AdminRefusal.lastAdmin` when that would leave no active admin.
    /// False when the user does not hold the role (or is not in this tenant).
    func removeRole(clientID: Int, userID: Int, role: String, origin: RequestOrigin) async throws -> Bool {
        let now = clock.now()
        return try await database.client(clientID).write { tx in
            if role == "admin", try await isLastActiveAdmin(tx, userID: userID) { throw AdminRefusal.lastAdmin }
            let removed = try await tx.query(
                "DELETE FROM user_roles ur USING roles r WHERE r.client_id = ur.client_id AND r.id = ur.role_id AND ur.user_id = $1 AND r.name = $2 RETURNING ur.role_id",
                userID, role)
            guard removed.count > 0 else { return false }
            // Tokens carry the role's permissions: the user signs in again to get the smaller set.
            try await publish(tx, .subject(clientID: String(clientID), subject: String(userID), issuedBefore: now.addingTimeInterval(1),
                                           until: revocationHorizon(now)))
            try await store.audit(tx, clientID: clientID, event: "role_changed", outcome: "success", userID: userID,
                                  address: origin.address, userAgent: origin.userAgent, details: ["removed": role], at: now)
            return true
        }
    }

    /// The permissions a role grants (`permission` or `permission@resource`); for a role that
    /// does not exist yet, what it would get (the built-in definition, or nothing).
    func rolePermissions(clientID: Int, role: String) async throws -> [String] {
        let rows = try await database.client(clientID).read { tx in
            try await tx.query(
                "SELECT r.id, rp.permission, rp.resource FROM roles r LEFT JOIN role_permissions rp ON rp.client_id = r.client_id AND rp.role_id = r.id WHERE r.name = $1",
                role)
        }
        if rows.count == 0 { return BuiltInRoles.permissions(of: role) ?? [] }
        return try rows.compactMap { row in
            guard let permission = try row.decode(String?.self, at: 1) else { return nil }
            let resource = try row.decode(String?.self, at: 2) ?? "*"
            return resource == "*" ? permission : "\(permission)@\(resource)"
        }
    }

    func disableServiceAccount(clientID: Int, id: Int, origin: RequestOrigin) async throws -> Bool {
        let now = clock.now()
        return try await database.client(clientID).write { tx in
            let rows = try await tx.query(
                "UPDATE service_accounts SET active = false, disabled_at = $2 WHERE id = $1 RETURNING account_key", id, now)
            guard let key = try rows.first?.decode(String.self, at: 0) else { return false }
            try await publish(tx, .subject(clientID: String(clientID), subject: key, issuedBefore: now.addingTimeInterval(1),
                                           until: revocationHorizon(now)))
            try await store.audit(tx, clientID: clientID, event: "service_account_disabled", outcome: "success", serviceAccountID: id,
                                  address: origin.address, userAgent: origin.userAgent, at: now)
            return true
        }
    }
}
