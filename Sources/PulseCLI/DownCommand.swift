import ArgumentParser
import Foundation
import PulseCore

/// `pulse down`: stop the supervisor, which stops the services (SIGTERM, then SIGKILL after
/// `supervisor.stop_timeout`). If the supervisor is gone but services it started still run,
/// they are stopped directly.
struct DownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down", abstract: "Stop the Pulse services started by `pulse up`.")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Leave the embedded PostgreSQL running (`pulse db down` stops it later).")
    var keepDatabase = false

    func run() async throws {
        let platform = try Platform(options: options)
        try await stopServices(platform)
        if !keepDatabase { try await stopEmbeddedDatabase(platform) }
    }

    /// Stops the embedded cluster when there is one here and no external `DATABASE_URL`.
    private func stopEmbeddedDatabase(_ platform: Platform) async throws {
        guard try ConnectionInfo.fromEnvironment(platform.environment) == nil else { return }
        let configuration = try EmbeddedClusterConfiguration.fromEnvironment(platform.environment)
        guard configuration.isInitialized else { return }
        do {
            try await EmbeddedCluster(configuration: configuration).down()
            print("pulse: database stopped (\(configuration.directory.path))")
        } catch {
            printError("pulse down: database: \(error)")
            throw ExitCode.failure
        }
    }

    private func stopServices(_ platform: Platform) async throws {
        guard let state = try platform.readState() else {
            print("pulse: not running here")
            return
        }
        let timeout = platform.supervisor.stopTimeout
        if Platform.supervisorAlive(state) {
            ChildProcess.send(SIGTERM, to: state.supervisorPID)
            // The supervisor itself waits `timeout` for its children, then kills them.
            if await waitForExit([state.supervisorPID], seconds: timeout + 5) {
                print("pulse: stopped (supervisor pid \(state.supervisorPID))")
            } else {
                ChildProcess.send(SIGKILL, to: state.supervisorPID)
                printError("pulse: supervisor did not stop in time; killed it")
            }
        }
        // Orphans: services recorded as running whose process still runs the same executable.
        let orphans = state.services.compactMap { service -> pid_t? in
            guard let pid = service.pid, ChildProcess.isAlive(pid),
                  ChildProcess.commandName(of: pid) == (service.executable as NSString).lastPathComponent else { return nil }
            return pid
        }
        guard !orphans.isEmpty else { return }
        orphans.forEach { ChildProcess.send(SIGTERM, to: $0) }
        if !(await waitForExit(orphans, seconds: timeout)) {
            orphans.forEach { ChildProcess.send(SIGKILL, to: $0) }
        }
        print("pulse: stopped \(orphans.count) service process(es) left by a supervisor that is gone")
    }

    /// Polls until none of `pids` exists; false on timeout.
    private func waitForExit(_ pids: [pid_t], seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            if !pids.contains(where: ChildProcess.isAlive) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !pids.contains(where: ChildProcess.isAlive)
    }
}
