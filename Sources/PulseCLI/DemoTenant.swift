import Foundation
import PulseCore

/// The demo client `pulse up` creates so a fresh machine can sign in at once: client `demo`,
/// role `admin` holding every area's permissions, and the user `admin@demo.pulse.test` with a
/// password made from the CSPRNG. The password is shown when the user is created and kept in
/// `<state_dir>/demo-admin.txt` (mode 0600) so later runs can show it again. Idempotent: what
/// exists is reused, never overwritten.
struct DemoTenant {
    static let slug = "demo"
    static let email = "admin@demo.pulse.test"
    static let adminRole = "admin"
    /// Every area a Pulse administrator manages (`area:*` covers each action in it).
    static let adminPermissions = [
        "users:admin", "service_accounts:admin", "roles:admin", "sso:admin", "clients:admin", "settings:*",
        "integrations:*", "projects:*", "work_items:*", "dora:*", "analytics:*", "etl:*", "ai:*",
    ]

    let stateDirectory: String

    var credentialsPath: String { stateDirectory + "/demo-admin.txt" }

    /// What an operator needs to sign in, for the log or the terminal.
    struct SignIn {
        let client: String
        let email: String
        /// Nil when the user already existed and its password file is gone.
        let password: String?
        let created: Bool
    }

    /// Creates what is missing and returns how to sign in.
    func ensure(ownerURL: String) async throws -> SignIn {
        try await TenantBootstrap.withDatabase(ownerURL: ownerURL) { try await ensure(in: $0) }
    }

    private func ensure(in database: PostgresDatabase) async throws -> SignIn {
        let existing = try await TenantBootstrap.clientID(slug: Self.slug, in: database)
        let clientID = if let existing { existing } else {
            try await TenantBootstrap.createClient(slug: Self.slug, name: "Demo", in: database)
        }
        try await TenantBootstrap.grant(Self.adminPermissions, toRole: Self.adminRole, clientID: clientID, in: database)
        if try await TenantBootstrap.userExists(clientID: clientID, email: Self.email, in: database) {
            return SignIn(client: Self.slug, email: Self.email, password: storedPassword(), created: false)
        }
        let password = SecureRandom.token(byteCount: 12)
        // Write the file first: a user whose password nobody can read would be useless.
        try storePassword(password)
        _ = try await TenantBootstrap.createUser(clientID: clientID, email: Self.email, password: password,
                                                 roles: [Self.adminRole], in: database)
        return SignIn(client: Self.slug, email: Self.email, password: password, created: true)
    }

    /// The sign-in recorded by an earlier run, if its file is there.
    func storedSignIn() -> SignIn? {
        storedPassword().map { SignIn(client: Self.slug, email: Self.email, password: $0, created: false) }
    }

    /// How to sign in: the client, the email, the password (or where it is kept), and a
    /// command. The password is shown only on a terminal, so it does not land in log files
    /// (a detached supervisor's stdout is its log).
    static func instructions(_ signIn: SignIn, platform: Platform, onTerminal: Bool = isatty(1) != 0) -> String {
        let auth = platform.supervisor.services.first { $0.service == .auth }
        let origin = "http://\(auth?.host ?? "127.0.0.1"):\(auth?.port ?? 4000)"
        let file = DemoTenant(stateDirectory: platform.supervisor.stateDirectory).credentialsPath
        let password = !onTerminal ? "in \(file)" : signIn.password ?? "<not shown: the user existed before \(file) was written>"
        return """
            Demo sign-in: client \(signIn.client), email \(signIn.email), password \(password)
              curl -s -X POST \(origin)/auth/login -H 'Content-Type: application/json' \\
                -d '{"client":"\(signIn.client)","email":"\(signIn.email)","password":"<password>"}'
            """
    }

    private func storedPassword() -> String? {
        guard let text = try? String(contentsOfFile: credentialsPath, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("password: ") }.map { String($0.dropFirst("password: ".count)) }
    }

    private func storePassword(_ password: String) throws {
        let text = "client: \(Self.slug)\nemail: \(Self.email)\npassword: \(password)\n"
        guard FileManager.default.createFile(atPath: credentialsPath, contents: Data(text.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw DatabaseCommandFailure("cannot write \(credentialsPath)")
        }
    }
}
