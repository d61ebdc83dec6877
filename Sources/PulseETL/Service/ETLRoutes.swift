import Foundation
import Logging
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService
import PulseWebSocket

/// The HTTP and WebSocket API of pulse-etl: `/etl/jobs`, `/etl/schedules`,
/// `/etl/webhooks/:integration_id/{deployments,incidents}`, `/etl/imports`, `/etl/logs`,
/// `/ws/jobs`, `/ws/logs`. Reads need `etl:read`, writes `etl:write`; the tenant is the
/// token's client, so another client's ids are 404.
public struct ETLRoutes: Sendable {
    public let database: PostgresDatabase
    public let auth: ServiceAuthentication
    public let scope: InstanceScope
    public let progress: ProgressBroadcaster
    public let push: PushService
    /// nil when per-client log files are off (`log.client_dir` empty).
    public let logs: LogReader?
    let logger: Logger

    public init(database: PostgresDatabase, auth: ServiceAuthentication, scope: InstanceScope, progress: ProgressBroadcaster,
                push: PushService, logs: LogReader?, logger: Logger) {
        self.database = database
        self.auth = auth
        self.scope = scope
        self.progress = progress
        var push = push
        push.onlyClientID = scope.clientID  // a dedicated instance takes its own client's pushes only
        self.push = push
        self.logs = logs
        self.logger = logger
    }

    /// The caller's client, refused (403) on a dedicated instance of another client.
    func tenant(_ request: HTTPRequest) throws -> Int {
        let id = try request.tenantID()
        if case .dedicated(let clientID, let slug) = scope, clientID != id {
            throw HTTPError(.forbidden, detail: "this pulse-etl instance serves client '\(slug)' only", type: "urn:pulse:etl:other-instance")
        }
        return id
    }

    static func json(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        var response = HTTPResponse.bytes(Array(text.utf8), status: status, contentType: "application/json")
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    static func positiveInt(_ request: HTTPRequest, path name: String) throws -> Int {
        guard let value = request.pathParameters[name].flatMap({ Int($0) }), value > 0 else {
            throw HTTPError(.badRequest, detail: "\(name): expected a positive integer in the path")
        }
        return value
    }

    static func queryInt(_ request: HTTPRequest, _ name: String, range: ClosedRange<Int> = 1...Int.max) throws -> Int? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw HTTPError(.badRequest, detail: "\(name): expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(text.prefix(40))'")
        }
        return value
    }

    public func register(on routes: inout ServiceRoutes) {
        registerJobs(on: &routes)
        registerSchedules(on: &routes)
        registerPush(on: &routes)
        registerLogs(on: &routes)
    }

    /// `{"integration_id", "mode"}` (the request decoder maps snake_case keys).
    struct EnqueueBody: Decodable {
        var integrationId: Int?
        var mode: String?
    }

    func registerJobs(on routes: inout ServiceRoutes) {
        let read = auth.require("etl:read"), write = auth.require("etl:write")
        let control = JobControl(database: database)
        routes.post("/etl/jobs", summary: "Queue a sync of an integration: {\"integration_id\": N, \"mode\": \"full\"|\"incremental\"} → 202 {\"id\", \"status\": \"queued\"}.",
                    responses: [.init(202, "Queued."), .init(422, "Unknown integration or mode", contentType: "application/problem+json")],
                    middleware: [write]) { request in
            let clientID = try tenant(request)
            let body: EnqueueBody = try request.decode()
            guard let integrationID = body.integrationId, integrationID > 0 else {
                throw HTTPError(.unprocessableContent, detail: "integration_id: required, a positive integer")
            }
            let modeText = body.mode ?? "incremental"
            guard let mode = SyncMode(rawValue: modeText) else {
                throw HTTPError(.unprocessableContent, detail: "mode: expected \"full\" or \"incremental\", got \"\(modeText.prefix(40))\"")
            }
            return Self.json(try await control.enqueue(clientID: clientID, integrationID: integrationID, mode: mode), status: .accepted)
        }
        routes.get("/etl/jobs", summary: "Jobs of the caller's client, newest first (?status=&integration_id=&limit=&cursor=).",
                   middleware: [read]) { request in
            let clientID = try tenant(request)
            let statuses: Set<String> = ["queued", "running", "succeeded", "failed", "cancelled", "paused"]
            let status = request.query("status").flatMap { $0.isEmpty ? nil : $0 }
            if let status, !statuses.contains(status) {
                throw HTTPError(.badRequest, detail: "status: expected one of \(statuses.sorted().joined(separator: ", "))")
            }
            let page = try await control.list(clientID: clientID, status: status, integrationID: try Self.queryInt(request, "integration_id"),
                                              limit: try Self.queryInt(request, "limit", range: 1...500) ?? 50,
                                              cursor: try Self.queryInt(request, "cursor"))
            return Self.json(#"{"items":[\#(page.items.joined(separator: ","))],"next_cursor":\#(page.next.map { "\"\($0)\"" } ?? "null")}"#)
        }
        routes.get("/etl/jobs/:id", summary: "One job: status, progress, counts, duration, error.",
                   responses: [.init(200, "The job."), .init(404, "No such job in this client", contentType: "application/problem+json")],
                   middleware: [read]) { request in
            let clientID = try tenant(request)
            let id = try Self.positiveInt(request, path: "id")
            guard let json = try await control.job(clientID: clientID, id: id) else { throw HTTPError(.notFound, detail: "no job \(id)") }
            return Self.json(json)
        }
        for action in [JobControl.Action.pause, .resume, .cancel] {
            routes.post("/etl/jobs/:id/\(action.rawValue)", summary: "\(action.rawValue.capitalized) a job (running jobs act after their current page).",
                        responses: [.init(200, "The job."), .init(404, "No such job", contentType: "application/problem+json"),
                                    .init(409, "The job's status does not allow it", contentType: "application/problem+json")],
                        middleware: [write]) { request in
                let clientID = try tenant(request)
                return Self.json(try await control.apply(action, clientID: clientID, id: try Self.positiveInt(request, path: "id")))
            }
        }
        routes.get("/ws/jobs", summary: "WebSocket: live progress of the caller's client's jobs (a snapshot first, then one frame per change).",
                   responses: [.init(101, "Switching to WebSocket")], middleware: [read]) { request in
            let clientID = try tenant(request)
            let progress = self.progress
            return try WebSocketUpgrade.response(for: request, configuration: .init()) { session in
                await progress.serve(session, clientID: clientID)
            }
        }
    }

    func registerSchedules(on routes: inout ServiceRoutes) {
        let read = auth.require("etl:read"), write = auth.require("etl:write")
        let scheduler = JobScheduler(database: database, logger: logger)
        routes.get("/etl/schedules", summary: "Schedules of the caller's client (?integration_id=).", middleware: [read]) { request in
            let items = try await scheduler.list(clientID: try tenant(request), integrationID: try Self.queryInt(request, "integration_id"))
            return Self.json(#"{"items":[\#(items.joined(separator: ","))]}"#)
        }
        routes.post("/etl/schedules", summary: "Create a schedule: {\"integration_id\", \"cron\" (5 fields, UTC), \"mode\", \"status\"} → 201.",
                    responses: [.init(201, "Created."), .init(422, "Invalid cron (names the field) or integration", contentType: "application/problem+json")],
                    middleware: [write]) { request in
            let input: JobScheduler.Input = try request.decode()
            return Self.json(try await scheduler.save(clientID: try tenant(request), id: nil, input: input), status: .created)
        }
        routes.get("/etl/schedules/:id", summary: "One schedule.", middleware: [read]) { request in
            let id = try Self.positiveInt(request, path: "id")
            guard let json = try await scheduler.schedule(clientID: try tenant(request), id: id) else {
                throw HTTPError(.notFound, detail: "no schedule \(id)")
            }
            return Self.json(json)
        }
        let update: Router.Handler = { request in
            let input: JobScheduler.Input = try request.decode()
            return Self.json(try await scheduler.save(clientID: try tenant(request), id: try Self.positiveInt(request, path: "id"), input: input))
        }
        routes.add(.put, "/etl/schedules/:id", summary: "Change a schedule (fields given are replaced).", requestContentType: "application/json",
                   middleware: [write], update)
        routes.add(.patch, "/etl/schedules/:id", summary: "Change a schedule (fields given are replaced).", requestContentType: "application/json",
                   middleware: [write], update)
        routes.add(.delete, "/etl/schedules/:id", summary: "Delete a schedule (its jobs stay in the history).",
                   responses: [.init(204, "Deleted."), .init(404, "No such schedule", contentType: "application/problem+json")],
                   middleware: [write]) { request in
            let id = try Self.positiveInt(request, path: "id")
            guard try await scheduler.delete(clientID: try tenant(request), id: id) else { throw HTTPError(.notFound, detail: "no schedule \(id)") }
            return HTTPResponse(status: .noContent)
        }
    }

    func registerPush(on routes: inout ServiceRoutes) {
        let push = self.push
        for kind in PushKind.allCases {
            routes.post("/etl/webhooks/:integration_id/\(kind.rawValue)",
                        summary: "Push \(kind.rawValue) (one object or an array), idempotent by external_id; bearer token (etl:write) or X-Pulse-Signature.",
                        responses: [.init(200, "Stored."), .init(401, "No valid token or signature", contentType: "application/problem+json"),
                                    .init(413, "Body too large", contentType: "application/problem+json"),
                                    .init(422, "Invalid rows (per-row report)", contentType: "application/problem+json")]) { request in
                try await push.webhook(kind, request: request)
            }
        }
        routes.post("/etl/imports", summary: "Bulk import (?kind=deployments|incidents, CSV or JSON): all rows or none, per-row error report.",
                    responses: [.init(200, "Stored."), .init(422, "Invalid rows (per-row report); nothing stored", contentType: "application/problem+json")],
                    middleware: [auth.require("etl:write")]) { request in
            _ = try tenant(request)
            return try await push.importFile(request: request)
        }
    }
}
