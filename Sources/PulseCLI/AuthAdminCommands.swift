import ArgumentParser
import Foundation
import PulseAuth
import PulseCore

// `pulse clients create`, `pulse users create`, `pulse service-accounts create`: operator
// bootstrap of tenants and identities (the writes themselves are in TenantBootstrap).

/// Where and how the auth commands connect (same rules as `pulse migrate`).
struct AuthAdminOptions: ParsableArguments {
    @OptionGroup var location: DatabaseLocationOptions

    /// Runs `body` with the owner-role database, shut down before the command returns.
    func withDatabase<T: Sendable>(_ body: (PostgresDatabase) async throws -> T) async throws -> T {
        try await TenantBootstrap.withDatabase(ownerURL: try location.ownerURL(), body)
    }

    /// The id of the client with `slug`, or a clear failure.
    static func clientID(slug: String, in database: PostgresDatabase) async throws -> Int {
        guard let id = try await TenantBootstrap.clientID(slug: slug, in: database) else {
            throw DatabaseCommandFailure("no client with slug '\(slug)'")
        }
        return id
    }
}

struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clients", abstract: "Manage clients (tenants).",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a client; prints its id.")
        @OptionGroup var options: AuthAdminOptions
        @Option(help: "Login slug: lower-case letters, digits and '-'.") var slug: String
        @Option(help: "Display name (default: the slug).") var name: String?

        func run() async throws {
            do {
                let id = try await options.withDatabase { try await TenantBootstrap.createClient(slug: slug, name: name ?? slug, in: $0) }
                print("client \(slug) created with id \(id)")
            } catch let error as PostgresError {
                throw DatabaseCommandFailure("pulse clients create: \(error.publicCode) (slug taken or not [a-z0-9-])")
            }
        }
    }
}

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Manage users of a client.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a local user. The password is read from stdin (--password-stdin) or generated and printed once.")
        @OptionGroup var options: AuthAdminOptions
        @Option(help: "Client slug.") var client: String
        @Option(help: "Email address.") var email: String
        @Option(help: "Role to grant (repeatable; created when missing).") var role: [String] = []
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            guard let normalised = TenantBootstrap.normalisedEmail(email) else { throw ValidationError("--email must be an address") }
            let password = try TenantBootstrap.password(fromStdin: passwordStdin)
            let id = try await options.withDatabase { database in
                let clientID = try await AuthAdminOptions.clientID(slug: client, in: database)
                return try await TenantBootstrap.createUser(clientID: clientID, email: normalised, password: password,
                                                            roles: role, in: database)
            }
            print("user \(normalised) created in \(client) with id \(id)")
            if !passwordStdin { print("password (shown once): \(password)") }
        }
    }
}

struct ServiceAccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "service-accounts", abstract: "Manage integrators' service accounts.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a service account; prints client_id and client_secret once.")
        @OptionGroup var options: AuthAdminOptions
        @Option(help: "Client slug.") var client: String
        @Option(help: "Name, unique in the client.") var name: String
        @Option(help: "Role (created when missing).") var role: String?

        func run() async throws {
            let key = "sa_" + SecureRandom.token(byteCount: 12)
            let secret = SecureRandom.token()
            let stored = AuthService.hashServiceAccountSecret(secret)
            try await options.withDatabase { database in
                let clientID = try await AuthAdminOptions.clientID(slug: client, in: database)
                try await database.client(clientID).write { tx in
                    let roleID = try await role.asyncRoleID(tx, clientID: clientID)
                    try await tx.query(
                        "INSERT INTO service_accounts (client_id, name, account_key, secret_hash, role_id) VALUES ($1, $2, $3, $4, $5)",
                        clientID, name, key, stored, roleID)
                }
            }
            print("client_id: \(key)\nclient_secret (shown once): \(secret)")
        }
    }
}

extension Optional where Wrapped == String {
    fileprivate func asyncRoleID(_ tx: PostgresTransaction, clientID: Int) async throws -> Int? {
        guard let name = self else { return nil }
        return try await TenantBootstrap.ensureRole(tx, clientID: clientID, name: name)
    }
}
