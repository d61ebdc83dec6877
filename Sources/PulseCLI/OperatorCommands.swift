import ArgumentParser
import Foundation
import PulseAuth
import PulseCore

/// `pulse operators create`: a platform operator, a user of the one platform client
/// (`clients.is_platform`, slug `pulse-operators`) whose `operator` role holds `clients:admin`.
/// Operators sign in like anyone else (client `pulse-operators`) and manage the client
/// directory through pulse-backend's `/api/v1/clients`; they see nothing inside a client.
struct OperatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "operators", abstract: "Manage platform operators.",
                                                    subcommands: [Create.self])

    static let platformSlug = "pulse-operators"
    static let role = "operator"
    static let permissions = ["clients:admin"]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a platform operator. The password is read from stdin (--password-stdin) or generated and printed once.")
        @OptionGroup var options: AuthAdminOptions
        @Option(help: "Email address.") var email: String
        @Flag(help: "Read the password from the first line of stdin.") var passwordStdin = false

        func run() async throws {
            guard let normalised = TenantBootstrap.normalisedEmail(email) else { throw ValidationError("--email must be an address") }
            let password = try TenantBootstrap.password(fromStdin: passwordStdin)
            let id = try await options.withDatabase { database in
                let clientID = try await OperatorsCommand.ensurePlatformClient(in: database)
                return try await TenantBootstrap.createUser(clientID: clientID, email: normalised, password: password,
                                                            roles: [OperatorsCommand.role], in: database)
            }
            print("operator \(normalised) created with id \(id); sign in with client \(OperatorsCommand.platformSlug)")
            if !passwordStdin { print("password (shown once): \(password)") }
        }
    }

    /// The platform client's id, created with its `operator` role when missing.
    static func ensurePlatformClient(in database: PostgresDatabase) async throws -> Int {
        let existing = try await database.read { tx in
            try await tx.query("SELECT id FROM clients WHERE is_platform").first?.decode(Int.self, at: 0)
        }
        let id = if let existing { existing } else {
            try await TenantBootstrap.createClient(slug: platformSlug, name: "Pulse operators", platform: true, in: database)
        }
        try await TenantBootstrap.grant(permissions, toRole: role, clientID: id, in: database)
        return id
    }
}
