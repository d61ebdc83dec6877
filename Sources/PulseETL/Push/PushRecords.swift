import Foundation
import PulsePostgres

/// What the push API and imports store (F-CUSTOM): deployments (source `push_api`, repository
/// by `owner/repo`) and incidents (source `push_api`, with the repository and deployment
/// they name kept as references for the analytics engine). Rows are validated into these
/// first; writing is an upsert on the sender's external id, so a repeat changes nothing.
public enum PushKind: String, Sendable, CaseIterable {
    case deployments
    case incidents
}

/// One invalid field of one row.
public struct PushFieldError: Sendable, Equatable, Codable {
    /// 1-based row (data rows of a CSV, array items of JSON; 1 for a single object).
    public var row: Int
    public var field: String
    public var message: String
}

/// A validated deployment.
public struct PushDeployment: Sendable, Equatable {
    public var externalID: String
    public var repository: String
    public var environment: String
    public var sha: String
    public var status: String
    public var ref: String?
    public var url: String?
    public var createdAt: Date
    public var finishedAt: Date?
}

/// A validated incident.
public struct PushIncident: Sendable, Equatable {
    public var externalID: String
    public var title: String
    public var description: String?
    public var severity: String?
    public var startedAt: Date
    public var resolvedAt: Date?
    public var repository: String?
    public var deployment: String?
}

/// A row that validated, or every problem it has.
public enum PushValidated<Value: Sendable>: Sendable {
    case valid(Value)
    case invalid([PushFieldError])
}

/// Validation of raw rows (field name → text; JSON values already turned into text).
public enum PushValidation {
    public static let deploymentStatuses: Set<String> = ["success", "failure", "error", "in_progress", "queued", "pending", "inactive", "cancelled"]
    public static let deploymentFields: Set<String> = ["external_id", "repository", "environment", "sha", "status", "ref", "url", "created_at", "finished_at"]
    public static let incidentFields: Set<String> = ["external_id", "title", "description", "severity", "started_at", "resolved_at", "repository", "deployment"]

    public static func deployment(_ row: [String: String], index: Int, now: Date = Date()) -> PushValidated<PushDeployment> {
        var errors: [PushFieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(PushFieldError(row: index, field: field, message: message)) }
        let externalID = required(row, "external_id", max: 255, fail)
        let repository = required(row, "repository", max: 255, fail)
        if let repository, !isRepositoryName(repository) { fail("repository", "expected owner/repo, got '\(repository.prefix(80))'") }
        let environment = required(row, "environment", max: 255, fail)
        var sha = required(row, "sha", max: 40, fail)?.lowercased()
        if let s = sha, s.utf8.count != 40 || !s.utf8.allSatisfy(isHex) {
            fail("sha", "expected the 40-hex-digit commit sha")
            sha = nil
        }
        let status = required(row, "status", max: 30, fail)?.lowercased()
        if let status, !deploymentStatuses.contains(status) {
            fail("status", "expected one of \(deploymentStatuses.sorted().joined(separator: ", ")), got '\(status.prefix(40))'")
        }
        let ref = optional(row, "ref", max: 255, fail)
        let url = optional(row, "url", max: 2048, fail)
        let created = date(row, "created_at", fail)
        let finished = date(row, "finished_at", fail)
        for key in row.keys where !deploymentFields.contains(key) { fail(key, "unknown field (expected \(deploymentFields.sorted().joined(separator: ", ")))") }
        guard errors.isEmpty, let externalID, let repository, let environment, let sha, let status else { return .invalid(errors) }
        let createdAt = created ?? now
        return .valid(PushDeployment(externalID: externalID, repository: repository, environment: environment, sha: sha, status: status,
                                       ref: ref, url: url, createdAt: createdAt, finishedAt: finished ?? (status == "success" ? createdAt : nil)))
    }

    public static func incident(_ row: [String: String], index: Int) -> PushValidated<PushIncident> {
        var errors: [PushFieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(PushFieldError(row: index, field: field, message: message)) }
        let externalID = required(row, "external_id", max: 255, fail)
        let title = required(row, "title", max: 10_000, fail)
        let description = optional(row, "description", max: 100_000, fail)
        let severity = optional(row, "severity", max: 20, fail)
        let started = date(row, "started_at", fail)
        if row["started_at"].map({ $0.isEmpty }) ?? true { fail("started_at", "required (ISO 8601 time)") }
        let resolved = date(row, "resolved_at", fail)
        if let started, let resolved, resolved < started { fail("resolved_at", "is before started_at") }
        let repository = optional(row, "repository", max: 255, fail)
        if let repository, !isRepositoryName(repository) { fail("repository", "expected owner/repo, got '\(repository.prefix(80))'") }
        let deployment = optional(row, "deployment", max: 2048, fail)
        for key in row.keys where !incidentFields.contains(key) { fail(key, "unknown field (expected \(incidentFields.sorted().joined(separator: ", ")))") }
        guard errors.isEmpty, let externalID, let title, let started else { return .invalid(errors) }
        return .valid(PushIncident(externalID: externalID, title: title, description: description, severity: severity, startedAt: started,
                                     resolvedAt: resolved, repository: repository, deployment: deployment))
    }

    static func required(_ row: [String: String], _ field: String, max: Int, _ fail: (String, String) -> Void) -> String? {
        guard let value = row[field]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            fail(field, "required")
            return nil
        }
        guard value.count <= max else {
            fail(field, "longer than \(max) characters")
            return nil
        }
        return value
    }

    static func optional(_ row: [String: String], _ field: String, max: Int, _ fail: (String, String) -> Void) -> String? {
        guard let value = row[field]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        guard value.count <= max else {
            fail(field, "longer than \(max) characters")
            return nil
        }
        return value
    }

    static func date(_ row: [String: String], _ field: String, _ fail: (String, String) -> Void) -> Date? {
        guard let text = row[field]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let date = parseDate(text) else {
            fail(field, "expected an ISO 8601 time with a zone (e.g. 2026-01-31T12:00:00Z), got '\(text.prefix(40))'")
            return nil
        }
        return date
    }

    /// ISO 8601 with `Z` or an offset, with or without fractional seconds.
    public static func parseDate(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    static func isRepositoryName(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.contains(" ") }
    }

    static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}

/// Writes validated rows in the caller's transaction: COPY into a temporary table, then one
/// upsert on `(client_id, source, external_id)`. Returns `(id, external_id, created)` per row.
public enum PushWriter {
    public struct Stored: Sendable, Equatable, Codable {
        public var id: Int
        public var external_id: String
        public var created: Bool
    }

    static func time(_ date: Date?) -> String? {
        guard let date else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    public static func write(_ rows: [PushDeployment], clientID: Int, integrationID: Int?, in tx: PostgresTransaction) async throws -> [Stored] {
        guard !rows.isEmpty else { return [] }
        try await tx.query("CREATE TEMP TABLE pulse_push_deployments (external_id text, repository text, environment text, sha text, status text, ref text, url text, created_at timestamptz, finished_at timestamptz) ON COMMIT DROP")
        try await tx.connection.copyFrom("COPY pulse_push_deployments FROM STDIN") { writer in
            for r in rows {
                try await writer.write(text: [r.externalID, r.repository, r.environment, r.sha, r.status, r.ref, r.url, time(r.createdAt), time(r.finishedAt)])
            }
        }
        try await tx.query(
            """
            INSERT INTO repositories (client_id, integration_id, full_name)
            SELECT DISTINCT $1::int, $2::int, repository FROM pulse_push_deployments ON CONFLICT (client_id, full_name) DO NOTHING
            """, clientID, integrationID)
        let stored = try await tx.query(
            """
            INSERT INTO deployments (client_id, repository_id, source, external_id, environment, sha, ref, url, status, finished_at, source_created_at)
            SELECT $1::int, r.id, 'push_api', p.external_id, p.environment, p.sha, p.ref, p.url, p.status, p.finished_at, p.created_at
            FROM pulse_push_deployments p JOIN repositories r ON r.full_name = p.repository
            ON CONFLICT (client_id, source, external_id) DO UPDATE SET repository_id = EXCLUDED.repository_id,
                environment = EXCLUDED.environment, sha = EXCLUDED.sha, ref = EXCLUDED.ref, url = EXCLUDED.url, status = EXCLUDED.status,
                finished_at = EXCLUDED.finished_at, source_created_at = EXCLUDED.source_created_at
            RETURNING id, external_id, (xmax = 0)
            """, clientID)
        return try stored.map { Stored(id: try $0.decode(Int.self, at: 0), external_id: try $0.decode(String.self, at: 1), created: try $0.decode(Bool.self, at: 2)) }
    }

    public static func write(_ rows: [PushIncident], clientID: Int, in tx: PostgresTransaction) async throws -> [Stored] {
        guard !rows.isEmpty else { return [] }
        try await tx.query("CREATE TEMP TABLE pulse_push_incidents (external_id text, title text, description text, severity text, started_at timestamptz, resolved_at timestamptz, repository text, deployment text) ON COMMIT DROP")
        try await tx.connection.copyFrom("COPY pulse_push_incidents FROM STDIN") { writer in
            for r in rows {
                try await writer.write(text: [r.externalID, r.title, r.description, r.severity, time(r.startedAt), time(r.resolvedAt), r.repository, r.deployment])
            }
        }
        let stored = try await tx.query(
            """
            INSERT INTO incidents (client_id, source, external_id, title, description, severity, started_at, resolved_at,
                                   repository_reference, deployment_reference, source_updated_at)
            SELECT $1::int, 'push_api', external_id, title, description, severity, started_at, resolved_at, repository, deployment, now()
            FROM pulse_push_incidents
            ON CONFLICT (client_id, source, external_id) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description,
                severity = EXCLUDED.severity, started_at = EXCLUDED.started_at, resolved_at = EXCLUDED.resolved_at,
                repository_reference = EXCLUDED.repository_reference, deployment_reference = EXCLUDED.deployment_reference,
                source_updated_at = now()
            RETURNING id, external_id, (xmax = 0)
            """, clientID)
        return try stored.map { Stored(id: try $0.decode(Int.self, at: 0), external_id: try $0.decode(String.self, at: 1), created: try $0.decode(Bool.self, at: 2)) }
    }
}
