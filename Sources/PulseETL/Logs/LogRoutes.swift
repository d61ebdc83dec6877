import Foundation
import Logging
import PulseHTTP
import PulseObservability
import PulseService
import PulseWebSocket

extension ETLRoutes {
    /// `GET /etl/logs` and the live tail `/ws/logs` over the per-client log files (F-LOG).
    /// Operators (`clients:admin`) may name any client (`?client=<slug>`, default all); a
    /// client's admins read their own client's file only.
    func registerLogs(on routes: inout ServiceRoutes) {
        let read = auth.require("etl:read")
        routes.get("/etl/logs", summary: "Log lines of the caller's client, newest first (?level=&category=&client=&since=&until=&text=&limit=&cursor=).",
                   responses: [.init(200, "Lines."), .init(503, "Per-client log files are off", contentType: "application/problem+json")],
                   middleware: [read]) { request in
            let (reader, filter) = try await logFilter(request)
            let limit = try Self.queryInt(request, "limit", range: 1...1000) ?? 200
            let page = reader.query(filter, limit: limit, cursor: request.query("cursor"))
            struct Page: Encodable {
                var items: [LogEntry]
                var next_cursor: String?
            }
            var response = try HTTPResponse.json(Page(items: page.entries, next_cursor: page.next))
            response.headers.add(name: "Cache-Control", value: "no-store")
            return response
        }
        routes.get("/ws/logs", summary: "WebSocket: new log lines as they are written (same filters as /etl/logs).",
                   responses: [.init(101, "Switching to WebSocket")], middleware: [read]) { request in
            let (reader, filter) = try await logFilter(request)
            return try WebSocketUpgrade.response(for: request, configuration: .init()) { session in
                await Self.tail(session, reader: reader, filter: filter)
            }
        }
    }

    /// Polls the files twice a second and sends each new matching line as a `log` frame.
    static func tail(_ session: WebSocketSession, reader: LogReader, filter: LogFilter) async {
        var offsets = reader.offsets(filter.clients)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let reading = Task { for await _ in session.messages {} }
        while session.closeStatus == nil, !reading.isCancelled {
            for entry in reader.appended(filter, offsets: &offsets) {
                guard let data = try? encoder.encode(entry) else { continue }
                if !session.trySend(.text(#"{"type":"log","entry":"# + String(decoding: data, as: UTF8.self) + "}")) { return }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
        reading.cancel()
    }

    func logFilter(_ request: HTTPRequest) async throws -> (LogReader, LogFilter) {
        let clientID = try tenant(request)
        guard let logs else {
            throw HTTPError(.serviceUnavailable, detail: "per-client log files are off: set log.client_dir (PULSE_LOG_CLIENT_DIR) for the services")
        }
        let identity = try request.authenticatedIdentity()
        let own = try await database.query("SELECT pulse_client_slug($1)", [clientID]).first?.decode(String?.self, at: 0) ?? ""
        let asked = request.query("client").flatMap { $0.isEmpty ? nil : $0 }
        var clients: [String]
        if identity.has("clients:admin") {
            clients = asked.map { [$0] } ?? logs.clientsWithFiles()
        } else {
            if let asked, asked != own {
                throw HTTPError(.forbidden, detail: "client: only operators (clients:admin) read other clients' logs", type: "urn:pulse:auth:forbidden")
            }
            clients = [own]
        }
        if case .dedicated(_, let slug) = scope { clients = clients.filter { $0 == slug } }
        var level: Logger.Level?
        if let text = request.query("level"), !text.isEmpty {
            guard let parsed = Logger.Level(rawValue: text.lowercased()) else {
                throw HTTPError(.badRequest, detail: "level: expected trace, debug, info, notice, warning, error or critical")
            }
            level = parsed
        }
        func time(_ name: String) throws -> String? {
            guard let text = request.query(name), !text.isEmpty else { return nil }
            guard let date = PushValidation.parseDate(text) else {
                throw HTTPError(.badRequest, detail: "\(name): expected an ISO 8601 time (e.g. 2026-01-31T12:00:00Z)")
            }
            return Self.logTimestamp(date)
        }
        let filter = LogFilter(level: level, category: request.query("category").flatMap { $0.isEmpty ? nil : $0 }, clients: clients,
                               since: try time("since"), until: try time("until"), text: request.query("text"))
        return (logs, filter)
    }

    /// The writer's timestamp format (`2025-09-04T01:19:52.225555Z`), for text comparison.
    static func logTimestamp(_ date: Date) -> String {
        let seconds = floor(date.timeIntervalSince1970)
        return LogTimestamp(seconds: Int(seconds), microseconds: Int((date.timeIntervalSince1970 - seconds) * 1_000_000)).iso8601
    }
}
