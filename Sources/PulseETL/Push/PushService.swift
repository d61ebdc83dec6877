import Foundation
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// The push API (`POST /etl/webhooks/{integration_id}/deployments|incidents`) and bulk
/// imports (`POST /etl/imports`): authenticate, validate every row, then store all rows in
/// one transaction (or none), record the push as a finished job and send
/// `pulse_sync_finished` with provider `push`.
public struct PushService: Sendable {
    public let database: PostgresDatabase
    public let loader: IntegrationLoader
    public let authenticator: ServiceAuthenticator?
    /// Largest webhook body (bigger: 413).
    public var webhookBodyLimit = 256 * 1024
    /// Most rows per webhook call and per import file.
    public var webhookRowLimit = 1000
    public var importRowLimit = 100_000
    /// A dedicated instance (CLIENT_NAME) takes pushes for its own client only.
    public var onlyClientID: Int?

    public static let signatureHeader = "X-Pulse-Signature"

    public init(database: PostgresDatabase, loader: IntegrationLoader, authenticator: ServiceAuthenticator?) {
        self.database = database
        self.loader = loader
        self.authenticator = authenticator
    }

    /// One webhook call: a service-account (or user) bearer token of the integration's client
    /// holding `etl:write`, or `X-Pulse-Signature: sha256=<hex HMAC-SHA256 of the body>` with
    /// the integration's `webhook_secret`.
    public func webhook(_ kind: PushKind, request: HTTPRequest) async throws -> HTTPResponse {
        guard let integrationID = request.pathParameters["integration_id"].flatMap({ Int($0) }), integrationID > 0 else {
            throw HTTPError(.badRequest, detail: "integration_id: expected a positive integer in the path")
        }
        guard request.body.count <= webhookBodyLimit else {
            throw HTTPError(.contentTooLarge, detail: "the body is \(request.body.count) bytes; webhooks take at most \(webhookBodyLimit)")
        }
        let clientID = try await authenticate(request, integrationID: integrationID)
        if let only = onlyClientID, only != clientID {
            throw HTTPError(.forbidden, detail: "this pulse-etl instance takes pushes for its own client only", type: "urn:pulse:etl:other-instance")
        }
        if let contentType = request.headers["Content-Type"]?.lowercased(), !contentType.contains("json") {
            throw HTTPError(.unsupportedMediaType, detail: "expected a JSON body (Content-Type: application/json)")
        }
        let rows: [[String: String]]
        do { rows = try PushPayload.jsonRows(request.body, key: kind.rawValue) } catch { throw HTTPError(.badRequest, detail: error.message) }
        guard !rows.isEmpty else { throw HTTPError(.unprocessableContent, detail: "no \(kind.rawValue) in the body") }
        guard rows.count <= webhookRowLimit else {
            throw HTTPError(.contentTooLarge, detail: "\(rows.count) rows; a webhook call takes at most \(webhookRowLimit) (use /etl/imports)")
        }
        return try await store(kind, rows: rows, clientID: clientID, integrationID: integrationID, job: "push")
    }

    /// A bulk file: `?kind=deployments|incidents`, optional `&integration_id=N`, CSV
    /// (`text/csv`) or JSON. The caller is already authenticated with `etl:write`.
    public func importFile(request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        guard let kindText = request.query("kind"), let kind = PushKind(rawValue: kindText) else {
            throw HTTPError(.badRequest, detail: "kind: expected ?kind=deployments or ?kind=incidents")
        }
        var integrationID: Int?
        if let text = request.query("integration_id") {
            guard let id = Int(text), id > 0 else { throw HTTPError(.badRequest, detail: "integration_id: expected a positive integer") }
            guard try await database.query("SELECT 1 FROM integrations WHERE id = $1", [id], clientID: clientID).count == 1 else {
                throw HTTPError(.unprocessableContent, detail: "integration_id: no integration \(id) in this client")
            }
            integrationID = id
        }
        let contentType = request.headers["Content-Type"]?.lowercased() ?? ""
        let rows: [[String: String]]
        do {
            if contentType.hasPrefix("text/csv") || contentType.hasPrefix("application/csv") {
                rows = try PushPayload.csvRows(request.body)
            } else if contentType.contains("json") {
                rows = try PushPayload.jsonRows(request.body, key: kind.rawValue)
            } else {
                throw HTTPError(.unsupportedMediaType, detail: "expected Content-Type text/csv or application/json")
            }
        } catch let error as PushPayload.Malformed {
            throw HTTPError(.badRequest, detail: error.message)
        }
        guard !rows.isEmpty else { throw HTTPError(.unprocessableContent, detail: "the file holds no rows") }
        guard rows.count <= importRowLimit else {
            throw HTTPError(.contentTooLarge, detail: "\(rows.count) rows; one import takes at most \(importRowLimit)")
        }
        return try await store(kind, rows: rows, clientID: clientID, integrationID: integrationID, job: "import")
    }

    /// Validates every row first; any invalid row: 422 with the per-row report, nothing stored.
    func store(_ kind: PushKind, rows: [[String: String]], clientID: Int, integrationID: Int?, job: String) async throws -> HTTPResponse {
        var errors: [PushFieldError] = []
        var deployments: [PushDeployment] = []
        var incidents: [PushIncident] = []
        var seen: [String: Int] = [:]
        let now = Date()
        for (offset, row) in rows.enumerated() {
            let index = offset + 1
            if let id = row["external_id"]?.trimmingCharacters(in: .whitespaces), !id.isEmpty {
                if let first = seen[id] {
                    errors.append(PushFieldError(row: index, field: "external_id", message: "'\(id.prefix(80))' repeats row \(first)"))
                } else {
                    seen[id] = index
                }
            }
            switch kind {
            case .deployments:
                switch PushValidation.deployment(row, index: index, now: now) {
                case .valid(let d): deployments.append(d)
                case .invalid(let e): errors += e
                }
            case .incidents:
                switch PushValidation.incident(row, index: index) {
                case .valid(let i): incidents.append(i)
                case .invalid(let e): errors += e
                }
            }
        }
        if !errors.isEmpty {
            let invalidRows = Set(errors.map(\.row)).count
            return try Self.validationProblem(
                detail: "\(invalidRows) of \(rows.count) rows are invalid; nothing was stored", errors: Array(errors.prefix(1000)))
        }
        let (stored, jobID) = try await database.write(clientID: clientID) { tx in
            let stored = kind == .deployments
                ? try await PushWriter.write(deployments, clientID: clientID, integrationID: integrationID, in: tx)
                : try await PushWriter.write(incidents, clientID: clientID, in: tx)
            let created = stored.filter(\.created).count
            let job = try await tx.query(
                """
                INSERT INTO etl_job_runs (client_id, integration_id, job, mode, status, started_at, finished_at, items_processed,
                                          pages_processed, progress)
                VALUES ($1, $2, $3, 'full', 'succeeded', now(), now(), $4, 1, $5::jsonb) RETURNING id
                """, clientID, integrationID, "\(job):\(kind.rawValue)", stored.count,
                #"{"phase":"\#(job) of \#(kind.rawValue)","items_done":\#(stored.count),"pages_done":1,"created":\#(created),"updated":\#(stored.count - created)}"#)
            let jobID = try job[0].decode(Int.self, at: 0)
            try await JobStore.notifySyncFinished(tx, clientID: clientID, integrationID: integrationID, jobID: jobID, provider: "push",
                                                  status: "succeeded")
            return (stored, jobID)
        }
        struct Answer: Encodable {
            var kind: String
            var stored: Int
            var created: Int
            var updated: Int
            var job_id: Int
            var items: [PushWriter.Stored]
        }
        let created = stored.filter(\.created).count
        return try .json(Answer(kind: kind.rawValue, stored: stored.count, created: created, updated: stored.count - created, job_id: jobID,
                                items: stored.count <= 1000 ? stored : []))
    }

    /// The client whose integration `integrationID` is, proven by signature or bearer token.
    func authenticate(_ request: HTTPRequest, integrationID: Int) async throws -> Int {
        if let signature = request.headers[Self.signatureHeader] {
            guard let clientID = try await database.query("SELECT pulse_client_id_for_integration($1)", [integrationID])
                .first?.decode(Int?.self, at: 0)
            else { throw HTTPError(.notFound, detail: "no integration \(integrationID)") }
            let integration: SyncIntegration
            do { integration = try await loader.load(clientID: clientID, integrationID: integrationID) } catch let error as SyncError {
                throw HTTPError(.unauthorized, detail: "the signature cannot be checked: \(error.message)", type: "urn:pulse:etl:signature")
            }
            guard let secret = Self.webhookSecret(integration.credentialsJSON) else {
                throw HTTPError(.unauthorized, detail: "integration \(integrationID) has no webhook_secret; use a bearer token or set one",
                                type: "urn:pulse:etl:signature")
            }
            guard Self.signatureMatches(signature, body: request.body, secret: secret) else {
                throw HTTPError(.unauthorized, detail: "X-Pulse-Signature does not match the body (expected sha256=<hex HMAC-SHA256 of the body>)",
                                type: "urn:pulse:etl:signature")
            }
            return clientID
        }
        guard let authenticator, request.headers["Authorization"] != nil,
              let identity = try await authenticator.authenticate(request)
        else {
            throw HTTPError(.unauthorized, detail: "sign the body (X-Pulse-Signature: sha256=...) or send a service-account bearer token",
                            type: "urn:pulse:auth:unauthorized", headers: ["WWW-Authenticate": #"Bearer realm="pulse""#])
        }
        guard identity.has("etl:write") else { throw HTTPError(.forbidden, detail: "permission etl:write is required", type: "urn:pulse:auth:forbidden") }
        guard let clientID = Int(identity.clientID),
              try await database.query("SELECT 1 FROM integrations WHERE id = $1", [integrationID], clientID: clientID).count == 1
        else { throw HTTPError(.notFound, detail: "no integration \(integrationID)") }
        return clientID
    }

    static func webhookSecret(_ credentialsJSON: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(credentialsJSON.utf8)) as? [String: Any],
              let secret = object["webhook_secret"] as? String, !secret.isEmpty else { return nil }
        return secret
    }

    /// `sha256=<hex>` of HMAC-SHA256(body, secret), compared in constant time.
    public static func signatureMatches(_ header: String, body: [UInt8], secret: String) -> Bool {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("sha256="), let given = try? Hex.decode(String(trimmed.dropFirst(7))) else { return false }
        return ConstantTime.equals(given, HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8)))
    }

    /// The header value a sender computes.
    public static func signature(body: [UInt8], secret: String) -> String {
        "sha256=" + Hex.encode(HMACSHA256.authenticationCode(for: body, key: Array(secret.utf8)))
    }

    static func validationProblem(detail: String, errors: [PushFieldError]) throws -> HTTPResponse {
        struct Problem: Encodable {
            var type = "urn:pulse:etl:invalid-rows"
            var title = "Unprocessable Content"
            var status = 422
            var detail: String
            var errors: [PushFieldError]
        }
        let data = try JSONEncoder().encode(Problem(detail: detail, errors: errors))
        return .bytes(Array(data), status: .unprocessableContent, contentType: "application/problem+json")
    }
}
