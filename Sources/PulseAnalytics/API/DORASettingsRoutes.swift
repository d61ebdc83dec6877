import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// `GET|PUT /api/v1/settings/dora`: the client's DORA settings; a change triggers recomputation.
struct DORASettingsRoutes {
    let database: PostgresDatabase
    let recomputer: DORARecomputer?

    static func object(_ s: DORASettings) -> [String: Any] {
        ["production_environment_pattern": s.productionEnvironmentPattern, "failure_window_hours": s.failureWindowHours,
         "hotfix_labels": s.hotfixLabels, "revert_labels": s.revertLabels, "benchmark_year": s.benchmarkYear,
         "deploy_workflows": s.deployWorkflows]
    }

    func get(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        let settings = try await database.client(clientID).read(.analytics) { tx in try await DORAFactLoader.settings(tx, clientID: clientID) }
        return try JSONDoc.response(Self.object(settings))
    }

    /// Validates a settings document; fields left out keep their current value.
    static func parse(_ body: [UInt8], current: DORASettings, years: [Int]) throws -> DORASettings {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw HTTPError(.badRequest, detail: "the request body must be a JSON object", type: "urn:pulse:analytics:invalid-parameter")
        }
        var s = current
        let known: Set<String> = ["production_environment_pattern", "failure_window_hours", "hotfix_labels", "revert_labels",
                                  "benchmark_year", "deploy_workflows"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) { throw badParameter(unknown, "unknown setting") }
        if let value = object["production_environment_pattern"] {
            guard let pattern = value as? String else { throw badParameter("production_environment_pattern", "must be a string") }
            do { _ = try EnvironmentMatcher(pattern: pattern) } catch { throw badParameter(error.parameter, error.detail) }
            s.productionEnvironmentPattern = pattern
        }
        if let value = object["failure_window_hours"] {
            guard let number = value as? NSNumber, !(value is Bool), number.doubleValue > 0, number.doubleValue <= 24 * 90 else {
                throw badParameter("failure_window_hours", "must be a number of hours above 0 and at most 2160")
            }
            s.failureWindowHours = number.doubleValue
        }
        for key in ["hotfix_labels", "revert_labels"] {
            guard let value = object[key] else { continue }
            guard let list = value as? [String], list.allSatisfy({ !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0.count <= 100 }),
                list.count <= 50
            else { throw badParameter(key, "must be a list of up to 50 non-empty label names") }
            if key == "hotfix_labels" { s.hotfixLabels = list } else { s.revertLabels = list }
        }
        if let value = object["benchmark_year"] {
            guard let number = value as? NSNumber, !(value is Bool), years.contains(number.intValue), Double(number.intValue) == number.doubleValue else {
                throw badParameter("benchmark_year", "must be one of \(years.map(String.init).joined(separator: ", "))")
            }
            s.benchmarkYear = number.intValue
        }
        if let value = object["deploy_workflows"] {
            guard let map = value as? [String: String] else {
                throw badParameter("deploy_workflows", "must be an object of \"owner/repo\": \"path/to/workflow.yml\"")
            }
            for (repo, path) in map where repo.split(separator: "/").count != 2 || path.isEmpty || path.count > 500 {
                throw badParameter("deploy_workflows", "\(repo): keys are owner/repo, values workflow file paths")
            }
            s.deployWorkflows = map
        }
        return s
    }

    func put(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        let scope = database.client(clientID)
        let stored: DORASettings = try await scope.write { tx in
            let current = try await DORAFactLoader.settings(tx, clientID: clientID)
            let years = Array(Set(try await DORAReadModel.benchmarks(tx).map(\.year))).sorted()
            let settings = try Self.parse(request.body, current: current, years: years)
            let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
            try await tx.query(
                """
                INSERT INTO system_settings (client_id, setting_key, setting_value, description)
                VALUES ($1, 'dora', $2::jsonb, 'DORA settings (PUT /api/v1/settings/dora)')
                ON CONFLICT (client_id, setting_key) DO UPDATE SET setting_value = EXCLUDED.setting_value
                """, [clientID, json])
            if settings != current {
                try await tx.query(
                    """
                    INSERT INTO dora_recompute_state (client_id, recomputing) VALUES ($1, TRUE)
                    ON CONFLICT (client_id) DO UPDATE SET recomputing = TRUE
                    """, [clientID])
            }
            return settings
        }
        if let recomputer {
            Task { _ = try? await recomputer.recompute(clientID: clientID, full: true) }
        }
        return try JSONDoc.response(Self.object(stored))
    }
}
