import ArgumentParser
import Foundation
import PulseCore

/// `pulse status`: each service's pid, port, state and `/health` answer. Exit status 0 only when
/// the supervisor runs and every service is healthy.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show each service's pid, port and health.")

    @OptionGroup var options: CommonOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Row: Codable {
        var service: String
        var pid: Int32?
        var host: String
        var port: Int
        var state: String
        var health: String
        var restarts: Int
    }

    func run() async throws {
        let platform = try Platform(options: options)
        guard let state = try platform.readState() else {
            printError("pulse: not running here (no \(SupervisorState.path(in: platform.supervisor.stateDirectory)))")
            throw ExitCode(3)
        }
        let supervising = Platform.supervisorAlive(state)
        let rows = state.services.map { service -> Row in
            let alive = service.pid.map(ChildProcess.isAlive) ?? false
            var health = "-"
            if alive {
                if let response = HealthProbe.get(host: service.host, port: service.port) {
                    health = response.status == 200 ? "ok" : "HTTP \(response.status)"
                } else {
                    health = "unreachable"
                }
            }
            return Row(service: service.name, pid: alive ? service.pid : nil, host: service.host, port: service.port,
                       state: alive ? "running" : (supervising ? service.status : "stopped"),
                       health: health, restarts: service.restarts)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
        } else {
            print("supervisor: \(supervising ? "running, pid \(state.supervisorPID)" : "not running")")
            print(pad("SERVICE", 9) + pad("PID", 9) + pad("PORT", 7) + pad("STATE", 12) + pad("HEALTH", 14) + "RESTARTS")
            for row in rows {
                print(pad(row.service, 9) + pad(row.pid.map(String.init) ?? "-", 9) + pad(String(row.port), 7)
                      + pad(row.state, 12) + pad(row.health, 14) + String(row.restarts))
            }
        }
        guard supervising, rows.allSatisfy({ $0.health == "ok" }) else { throw ExitCode(3) }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
