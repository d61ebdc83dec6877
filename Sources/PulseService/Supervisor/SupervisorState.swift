import Foundation

/// What `pulse up` writes to `<state_dir>/state.json` and `pulse status`/`pulse down` read.
public struct SupervisorState: Codable, Sendable, Equatable {
    /// One supervised service.
    public struct Service: Codable, Sendable, Equatable {
        /// `running`, `restarting` (waiting out its backoff), `failed` (will not restart) or `stopped`.
        public var status: String
        public var name: String
        public var executable: String
        public var pid: Int32?
        public var host: String
        public var port: Int
        public var restarts: Int
        public var lastExit: String?
        public var logFile: String
    }

    /// The supervisor's pid.
    public var supervisorPID: Int32
    /// `running` while supervising, `stopping` during shutdown, `stopped` after.
    public var status: String
    public var services: [Service]

    public init(supervisorPID: Int32, status: String, services: [Service]) {
        self.supervisorPID = supervisorPID
        self.status = status
        self.services = services
    }

    /// `<directory>/state.json`.
    public static func path(in directory: String) -> String { directory + "/state.json" }

    /// Reads the state file; nil if there is none.
    public static func read(from directory: String) throws -> SupervisorState? {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(SupervisorState.self, from: data)
    }

    /// Writes the state file atomically (temporary file + rename), so readers never see half of it.
    public func write(to directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(in: directory)), options: .atomic)
    }
}
