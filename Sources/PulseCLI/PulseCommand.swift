import ArgumentParser

/// `pulse`: the operator's command. `pulse up` runs the platform on this machine, `pulse status`
/// shows it, `pulse down` stops it.
@main
struct PulseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse",
        abstract: "Run and inspect the Pulse platform on this machine.",
        subcommands: [
            UpCommand.self, DownCommand.self, StatusCommand.self, ConfigCommand.self,
            DatabaseCommand.self, MigrateCommand.self,
            ClientsCommand.self, UsersCommand.self, ServiceAccountsCommand.self, OperatorsCommand.self, SandboxCommand.self,
        ]
    )
}

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (.toml or .env); repeatable. Default: config/pulse.toml and config/pulse.env if present, or PULSE_CONFIG.")
    var config: [String] = []
}
