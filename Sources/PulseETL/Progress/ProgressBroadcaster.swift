import Foundation
import Logging
import PulseHTTP
import PulseObservability
import PulsePostgres
import PulseWebSocket

/// `/ws/jobs` (F-PROGRESS): every pulse-etl process LISTENs on `pulse_job_progress`, where the
/// runner of any process sends one frame per page, connector event and status change (in the
/// transaction that stored it), and forwards each frame to the WebSocket sessions of that
/// frame's client. NOTIFY rather than polling `etl_job_runs.progress`: frames reach every
/// instance's subscribers within milliseconds, cost nothing while no job runs, and are only
/// sent for committed state. A subscriber first gets a snapshot of its client's queued,
/// running and paused jobs (read after it subscribed, so no frame falls between).
public final class ProgressBroadcaster: Sendable {
    public let hub = WebSocketHub()
    let control: JobControl
    let logger: Logger

    public init(database: PostgresDatabase, logger: Logger) {
        control = JobControl(database: database)
        self.logger = logger
    }

    static func topic(_ clientID: Int) -> String { "jobs:\(clientID)" }

    /// Listens until the process ends (the listener reconnects by itself).
    public func start(conninfo: String) throws -> Task<Void, Never> {
        let listener = try PostgresListener(conninfo: conninfo, channels: [JobStore.progressChannel]) { [logger] in
            logger.warning("Progress listener reconnected; frames sent meanwhile were missed", metadata: LogCategory.ws.metadata)
        }
        return Task { [self] in
            do {
                for try await notification in listener { forward(notification.payload) }
            } catch {
                logger.error("Progress listener ended", metadata: ["error": "\(error)"])
            }
        }
    }

    struct Envelope: Decodable { var client_id: Int }

    /// Sends one NOTIFY payload to the subscribers of its client, as a `job` frame.
    func forward(_ payload: String) {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(payload.utf8)), payload.hasPrefix("{") else { return }
        hub.publish(.text(#"{"type":"job","#+payload.dropFirst()), to: Self.topic(envelope.client_id))
    }

    /// Serves one `/ws/jobs` session of `clientID`: the snapshot, then frames until it closes.
    /// The session joins the topic only after its snapshot is sent, so the snapshot is always
    /// the first frame; a change in between shows in that job's next frame, which carries the
    /// job's whole state.
    public func serve(_ session: WebSocketSession, clientID: Int) async {
        do {
            let jobs = try await control.activeJobs(clientID: clientID)
            try await session.send(.text(#"{"type":"snapshot","client_id":\#(clientID),"jobs":[\#(jobs.joined(separator: ","))]}"#))
        } catch {
            await session.close(code: .internalError, reason: "the job list cannot be read")
            return
        }
        hub.subscribe(session, to: Self.topic(clientID))
        for await _ in session.messages {}
    }
}
