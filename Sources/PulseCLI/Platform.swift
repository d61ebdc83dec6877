import ArgumentParser
import Foundation
import Logging
import PulseCore

/// What the subcommands share: the loaded configuration and where things are.
struct Platform {
    let snapshot: ConfigurationSnapshot
    let supervisor: SupervisorConfiguration
    let configFiles: [String]
    let environment: [String: String]

    /// Loads configuration the same way the services do; a bad value ends the command with
    /// the error and exit status 78 (EX_CONFIG).
    init(options: CommonOptions) throws {
        environment = ProcessInfo.processInfo.environment
        let files = ConfigurationLoader.files(explicit: options.config, environment: environment)
        do {
            snapshot = try ConfigurationLoader.load(files: files.paths, environment: environment)
        } catch {
            printError("pulse: \(error)")
            throw ExitCode(78)
        }
        // Absolute paths, so children and later commands agree whatever their working directory.
        configFiles = files.paths.map(Self.absolute)
        var supervisor = SupervisorConfiguration(snapshot: snapshot)
        supervisor.stateDirectory = Self.absolute(supervisor.stateDirectory)
        self.supervisor = supervisor
    }

    var logDirectory: String { supervisor.stateDirectory + "/logs" }

    /// The folder holding the service executables: `PULSE_BIN_DIR`, else the folder of this `pulse`.
    var binaryDirectory: String {
        if let dir = environment["PULSE_BIN_DIR"], !dir.isEmpty { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent
    }

    /// A process logger in Pulse's format.
    func makeLogger() -> Logger {
        let level = Logger.Level(rawValue: snapshot.string("log.level")) ?? .info
        let output = LogOutput(descriptor: 1, color: LogOutput.ColorMode(rawValue: snapshot.string("log.color")) ?? .auto,
                               environment: environment)
        return Logger(label: "pulse.supervisor") { PulseLogHandler(label: $0, output: output, level: level, defaultCategory: .orch) }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Reads the state file, or nil when `pulse up` never ran here.
    func readState() throws -> SupervisorState? {
        do {
            return try SupervisorState.read(from: supervisor.stateDirectory)
        } catch {
            printError("pulse: cannot read \(SupervisorState.path(in: supervisor.stateDirectory)): \(error)")
            throw ExitCode.failure
        }
    }

    /// Whether the supervisor recorded in `state` is still running (and is really `pulse`).
    static func supervisorAlive(_ state: SupervisorState) -> Bool {
        ChildProcess.isAlive(state.supervisorPID) && ChildProcess.commandName(of: state.supervisorPID) == "pulse"
    }
}

/// Writes a line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
