import PulsePostgres

/// The roles every client starts with (issue 13 item 1), so the first admin an operator
/// creates can work at once. Idempotent: missing roles and grants are added, nothing is
/// removed, so a client's own changes to these roles survive.
public enum BuiltInRoles {
    /// Every permission of a client (not `clients:admin`, which belongs to platform operators).
    public static let admin = [
        "users:admin", "service_accounts:admin", "roles:admin", "sso:admin", "settings:*", "integrations:*",
        "projects:*", "teams:*", "work_items:*", "dora:*", "analytics:*", "etl:*", "ai:*", "branding:write", "audit:read",
    ]
    /// Read-only: every area's `:read`.
    public static let viewer = [
        "analytics:read", "dora:read", "projects:read", "teams:read", "work_items:read", "integrations:read", "etl:read",
        "settings:read", "ai:read",
    ]
    /// Runs and configures data collection.
    public static let etlAdmin = ["integrations:*", "etl:*", "settings:read", "projects:read", "teams:read", "analytics:read"]

    /// Role name → permissions.
    public static let all: [(name: String, description: String, permissions: [String])] = [
        ("admin", "Every permission of the client", admin),
        ("viewer", "Read-only access", viewer),
        ("etl-admin", "Integrations and data collection", etlAdmin),
    ]

    /// The built-in role of this name, if any.
    public static func permissions(of role: String) -> [String]? { all.first { $0.name == role }?.permissions }

    /// Creates the built-in roles of `clientID` (inside its tenant scope) and their grants.
    public static func install(_ tx: PostgresTransaction, clientID: Int) async throws {
        for role in all {
            let roleID = try await tx.query(
                """
                INSERT INTO roles (client_id, name, description, is_default) VALUES ($1, $2, $3, true)
                ON CONFLICT (client_id, name) DO UPDATE SET is_default = true RETURNING id
                """, clientID, role.name, role.description)[0].decode(Int.self, at: 0)
            for permission in role.permissions {
                try await tx.query(
                    "INSERT INTO role_permissions (client_id, role_id, permission) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    clientID, roleID, permission)
            }
        }
    }
}
