import ArgumentParser
import Foundation
import PulseCore

/// `pulse migrate up|down [n]|status`, as the owner role: `DATABASE_OWNER_URL` /
/// `DATABASE_URL` for an external cluster, else the embedded cluster's owner.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply, revert or list SQL migrations.",
        subcommands: [Up.self, Down.self, Status.self])

    struct Options: ParsableArguments {
        @OptionGroup var location: DatabaseLocationOptions
        @Option(name: .long, help: "Migrations folder (default: migrations, or PULSE_MIGRATIONS_DIR).")
        var dir: String?

        func runner() -> MigrationRunner { MigrationRunner(directory: migrationsDirectory(dir)) }

        func ownerURL() throws -> String { try location.ownerURL() }
    }

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply every pending migration.")
        @OptionGroup var options: Options

        func run() async throws {
            do {
                let applied = try await options.runner().up(try options.ownerURL())
                for migration in applied { print("applied \(migration.upFile)") }
                if applied.isEmpty { print("up to date") }
            } catch {
                throw DatabaseCommandFailure("pulse migrate up: \(error)")
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revert the last n applied migrations (default 1).")
        @OptionGroup var options: Options
        @Argument(help: "How many migrations to revert.") var count: Int = 1

        func validate() throws {
            guard count >= 1 else { throw ValidationError("n must be at least 1") }
        }

        func run() async throws {
            do {
                for migration in try await options.runner().down(try options.ownerURL(), steps: count) {
                    print("reverted \(migration.downFile ?? migration.upFile)")
                }
            } catch {
                throw DatabaseCommandFailure("pulse migrate down: \(error)")
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List migrations and whether each is applied.")
        @OptionGroup var options: Options

        func run() async throws {
            for state in try await options.runner().status(try options.ownerURL()) { print(state) }
        }
    }
}
