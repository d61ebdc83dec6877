import Foundation
import Logging
import PulseHTTP
import PulsePostgres
import PulseService

/// `GET /api/v1/dora`, `/api/v1/dora/repositories`, `/api/v1/dora/deployments`,
/// `/api/v1/dora/incidents`: reads on the replica, in the caller's tenant only.
struct DORARoutes {
    let database: PostgresDatabase

    /// The figures object of the API contract.
    static func figuresObject(_ f: DORAFigures, classifier: TierClassifier, years: [Int]) -> [String: Any] {
        var tiers: [String: Any] = [:]
        for year in years {
            guard let set = classifier.tiers(year: year, figures: f) else { continue }
            tiers[String(year)] = [
                "deployment_frequency": JSONDoc.value(set.deploymentFrequency?.rawValue),
                "lead_time": JSONDoc.value(set.leadTime?.rawValue),
                "change_failure_rate": JSONDoc.value(set.changeFailureRate?.rawValue),
                "failed_deployment_recovery_time": JSONDoc.value(set.failedDeploymentRecoveryTime?.rawValue),
            ]
        }
        return [
            "deployments": f.deployments, "deployments_per_day": f.deploymentsPerDay, "deployment_days": f.deploymentDays,
            "median_deployment_days_per_week": JSONDoc.value(f.medianDeploymentDaysPerWeek), "lead_time_changes": f.leadTimeChanges,
            "lead_time_seconds": ["median": JSONDoc.value(f.leadTime.median), "p75": JSONDoc.value(f.leadTime.p75),
                                  "p90": JSONDoc.value(f.leadTime.p90)],
            "failed_deployments": f.failedDeployments, "change_failure_rate": JSONDoc.value(f.changeFailureRate),
            "recovery_time_seconds": ["count": f.recoveryCount, "median": JSONDoc.value(f.recoveryMedian),
                                      "p90": JSONDoc.value(f.recoveryP90)],
            "rework_deployments": f.reworkDeployments, "deployment_rework_rate": JSONDoc.value(f.deploymentReworkRate),
            "tiers": tiers,
        ]
    }

    /// benchmark_years=2023,2024 (default: the client's benchmark year).
    static func years(_ request: HTTPRequest, classifier: TierClassifier, settings: DORASettings) throws -> [Int] {
        guard let text = request.query("benchmark_years") else { return [settings.benchmarkYear] }
        var years: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let year = Int(part.trimmingCharacters(in: .whitespaces)), classifier.years.contains(year) else {
                throw badParameter("benchmark_years", "unknown report year \(part); known: \(classifier.years.map(String.init).joined(separator: ", "))")
            }
            if !years.contains(year) { years.append(year) }
        }
        return years
    }

    static func stamp(_ object: inout [String: Any], _ state: (computedAt: Date?, recomputing: Bool)) {
        object["computed_at"] = JSONDoc.value(state.computedAt)
        object["recomputing"] = state.recomputing
    }

    func dora(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        return try await database.client(clientID).read(.analytics) { tx in
            let scope = try await AnalyticsScope.resolve(request, tx, clientID: clientID)
            let classifier = TierClassifier(bands: try await DORAReadModel.benchmarks(tx))
            let settings = try await DORAFactLoader.settings(tx, clientID: clientID)
            let years = try Self.years(request, classifier: classifier, settings: settings)
            let period = scope.period, previous = period.previous
            let rows = try await DORAReadModel.deployments(tx, clientID: clientID, repositoryIDs: scope.repositoryIDs,
                                                           from: previous.start, to: period.end)
            var object = Self.figuresObject(DORAMetrics.figures(rows, period: period), classifier: classifier, years: years)
            object["from"] = JSONDoc.day(period.start)
            object["to"] = JSONDoc.day(period.end.addingTimeInterval(-86400))
            object["scope"] = scope.label.isEmpty ? ["client": clientID] : scope.label
            var previousObject = Self.figuresObject(DORAMetrics.figures(rows, period: previous), classifier: classifier, years: years)
            previousObject["from"] = JSONDoc.day(previous.start)
            previousObject["to"] = JSONDoc.day(previous.end.addingTimeInterval(-86400))
            object["previous_period"] = previousObject
            object["trend"] = Self.trend(rows, period: period)
            Self.stamp(&object, try await DORAReadModel.state(tx, clientID: clientID))
            return try JSONDoc.response(object)
        }
    }

    /// One entry per ISO week overlapping the period (cut to the period).
    static func trend(_ rows: [DerivedDeployment], period: DORAPeriod) -> [[String: Any]] {
        var result: [[String: Any]] = []
        let weekday = (utcCalendar.component(.weekday, from: period.start) + 5) % 7
        var start = period.start.addingTimeInterval(-Double(weekday) * 86400)
        while start < period.end {
            let from = max(start, period.start), to = min(start.addingTimeInterval(7 * 86400), period.end)
            let week = DORAPeriod(start: from, days: Int((to.timeIntervalSince(from) / 86400).rounded()))
            let f = DORAMetrics.figures(rows, period: week)
            result.append([
                "week_start": JSONDoc.day(start), "from": JSONDoc.day(from), "to": JSONDoc.day(to.addingTimeInterval(-86400)),
                "deployments": f.deployments, "deployment_days": f.deploymentDays, "lead_time_changes": f.leadTimeChanges,
                "lead_time_median_seconds": JSONDoc.value(f.leadTime.median), "failed_deployments": f.failedDeployments,
                "change_failure_rate": JSONDoc.value(f.changeFailureRate), "recovery_time_median_seconds": JSONDoc.value(f.recoveryMedian),
                "rework_deployments": f.reworkDeployments,
            ])
            start = start.addingTimeInterval(7 * 86400)
        }
        return result
    }

    func repositories(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        return try await database.client(clientID).read(.analytics) { tx in
            let period = try AnalyticsScope.period(request)
            let classifier = TierClassifier(bands: try await DORAReadModel.benchmarks(tx))
            let settings = try await DORAFactLoader.settings(tx, clientID: clientID)
            let years = try Self.years(request, classifier: classifier, settings: settings)
            let names = try await DORAReadModel.repositoryNames(tx, clientID: clientID)
            let rows = try await DORAReadModel.deployments(tx, clientID: clientID, repositoryIDs: nil, from: period.start, to: period.end)
            let grouped = Dictionary(grouping: rows, by: \.repositoryID)
            var repositories: [String: Any] = [:]
            for (id, name) in names {
                repositories[name] = Self.figuresObject(DORAMetrics.figures(grouped[id] ?? [], period: period), classifier: classifier, years: years)
            }
            var object: [String: Any] = ["repositories": repositories, "from": JSONDoc.day(period.start),
                                         "to": JSONDoc.day(period.end.addingTimeInterval(-86400))]
            Self.stamp(&object, try await DORAReadModel.state(tx, clientID: clientID))
            return try JSONDoc.response(object)
        }
    }

    /// Cursor: "<finished_at microseconds>:<deployment id>" of the last row of the page.
    static func cursor(_ request: HTTPRequest) throws -> (Int64, Int64)? {
        guard let text = request.query("cursor") else { return nil }
        let parts = text.split(separator: ":")
        guard parts.count == 2, let a = Int64(parts[0]), let b = Int64(parts[1]) else { throw badParameter("cursor", "not a cursor this endpoint issued") }
        return (a, b)
    }

    /// A page of drill-down rows with its next cursor (the last row's sort key and id) and state.
    static func page(_ key: String, _ items: [[String: Any]], more: Bool, last: PostgresRow?, sortColumn: Int,
                     _ tx: PostgresTransaction, clientID: Int) async throws -> HTTPResponse {
        var object: [String: Any] = [key: items]
        if more, let last {
            object["next_cursor"] = "\(try last.decode(Int64.self, at: sortColumn)):\(try last.decode(Int64.self, at: 0))"
        } else {
            object["next_cursor"] = NSNull()
        }
        stamp(&object, try await DORAReadModel.state(tx, clientID: clientID))
        return try JSONDoc.response(object)
    }

    func deployments(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        return try await database.client(clientID).read(.analytics) { tx in
            let scope = try await AnalyticsScope.resolve(request, tx, clientID: clientID)
            let limit = try AnalyticsScope.limit(request)
            let cursor = try Self.cursor(request)
            let rows = try await tx.query(
                """
                SELECT dd.deployment_id, r.full_name, d.sha, d.environment, d.source, dd.finished_at, dd.previous_deployment_id,
                       dd.first_ever, dd.failed, dd.failure_reason, dd.incident_ids, dd.restored_by_deployment_id, dd.recovery_seconds,
                       dd.is_rework, dd.restore_kind, dd.restores, (extract(epoch FROM dd.finished_at) * 1000000)::bigint, d.url
                FROM dora_deployments dd
                JOIN deployments d ON d.client_id = dd.client_id AND d.id = dd.deployment_id
                JOIN repositories r ON r.client_id = dd.client_id AND r.id = dd.repository_id
                WHERE dd.client_id = $1 AND dd.finished_at >= $2 AND dd.finished_at < $3
                  AND ($4::int[] IS NULL OR dd.repository_id = ANY($4::int[]))
                  AND ($5::bigint IS NULL OR ((extract(epoch FROM dd.finished_at) * 1000000)::bigint, dd.deployment_id) < ($5, $6))
                ORDER BY (extract(epoch FROM dd.finished_at) * 1000000)::bigint DESC, dd.deployment_id DESC
                LIMIT $7
                """, [clientID, scope.period.start, scope.period.end, scope.repositoryIDs, cursor?.0, cursor?.1, limit + 1])
            let page = Array(rows.prefix(limit))
            let ids = try page.map { try $0.decode(Int64.self, at: 0) }
            var changes: [Int64: [[String: Any]]] = [:]
            for row in try await tx.query(
                """
                SELECT dc.deployment_id, p.number, p.title, p.id, c.sha, dc.first_commit_at, dc.lead_time_seconds
                FROM deployment_changes dc
                LEFT JOIN prs p ON p.client_id = dc.client_id AND p.id = dc.pr_id
                LEFT JOIN commits c ON c.client_id = dc.client_id AND c.id = dc.commit_id
                WHERE dc.client_id = $1 AND dc.deployment_id = ANY($2::bigint[]) ORDER BY dc.id
                """, [clientID, ids]) {
                changes[try row.decode(Int64.self, at: 0), default: []].append([
                    "kind": try row.decode(Int?.self, at: 1) == nil ? "direct_push" : "pull_request",
                    "pr_number": JSONDoc.value(try row.decode(Int?.self, at: 1)), "pr_title": JSONDoc.value(try row.decode(String?.self, at: 2)),
                    "pr_id": JSONDoc.value(try row.decode(Int64?.self, at: 3)), "commit_sha": JSONDoc.value(try row.decode(String?.self, at: 4)),
                    "first_commit_at": JSONDoc.value(try row.decode(Date?.self, at: 5)),
                    "lead_time_seconds": JSONDoc.value(try row.decode(Double?.self, at: 6)),
                ])
            }
            var items: [[String: Any]] = []
            for row in page {
                let id = try row.decode(Int64.self, at: 0)
                let first = try row.decode(Bool.self, at: 7)
                items.append([
                    "id": id, "repository": try row.decode(String.self, at: 1), "sha": try row.decode(String.self, at: 2),
                    "environment": try row.decode(String.self, at: 3), "source": try row.decode(String.self, at: 4),
                    "url": JSONDoc.value(try row.decode(String?.self, at: 17)),
                    "finished_at": JSONDoc.iso(try row.decode(Date.self, at: 5)),
                    "previous_deployment_id": JSONDoc.value(try row.decode(Int64?.self, at: 6)), "first_ever": first,
                    "lead_time_note": first ? "the repository's first deployment ever: its changes are excluded from lead time" : NSNull(),
                    "failed": try row.decode(Bool.self, at: 8), "failure_reason": JSONDoc.value(try row.decode(String?.self, at: 9)),
                    "incident_ids": try row.decode([Int64].self, at: 10),
                    "restored_by_deployment_id": JSONDoc.value(try row.decode(Int64?.self, at: 11)),
                    "recovery_seconds": JSONDoc.value(try row.decode(Double?.self, at: 12)),
                    "rework": try row.decode(Bool.self, at: 13), "restore_kind": JSONDoc.value(try row.decode(String?.self, at: 14)),
                    "restores_deployment_ids": try row.decode([Int64].self, at: 15),
                    "changes": changes[id] ?? [],
                ])
            }
            return try await Self.page("deployments", items, more: rows.count > limit, last: page.last, sortColumn: 16, tx, clientID: clientID)
        }
    }

    func incidents(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        return try await database.client(clientID).read(.analytics) { tx in
            let scope = try await AnalyticsScope.resolve(request, tx, clientID: clientID)
            let limit = try AnalyticsScope.limit(request)
            let cursor = try Self.cursor(request)
            let rows = try await tx.query(
                """
                SELECT i.id, i.external_id, i.source, i.title, r.full_name, i.repository_reference, i.started_at, i.resolved_at,
                       a.deployment_id, a.rule, a.pr_id, a.commit_sha, a.unattributed_reason, (a.incident_id IS NOT NULL),
                       (extract(epoch FROM i.started_at) * 1000000)::bigint, i.deployment_reference
                FROM incidents i
                LEFT JOIN repositories r ON r.client_id = i.client_id AND r.id = i.repository_id
                LEFT JOIN dora_incident_attributions a ON a.client_id = i.client_id AND a.incident_id = i.id
                WHERE i.client_id = $1 AND i.started_at >= $2 AND i.started_at < $3
                  AND ($4::int[] IS NULL OR i.repository_id = ANY($4::int[]))
                  AND ($5::bigint IS NULL OR ((extract(epoch FROM i.started_at) * 1000000)::bigint, i.id) < ($5, $6))
                ORDER BY (extract(epoch FROM i.started_at) * 1000000)::bigint DESC, i.id DESC
                LIMIT $7
                """, [clientID, scope.period.start, scope.period.end, scope.repositoryIDs, cursor?.0, cursor?.1, limit + 1])
            let page = Array(rows.prefix(limit))
            var items: [[String: Any]] = []
            for row in page {
                let repository = try row.decode(String?.self, at: 4)
                let seen = try row.decode(Bool.self, at: 13)
                var reason = try row.decode(String?.self, at: 12)
                let deployment = try row.decode(Int64?.self, at: 8)
                if deployment == nil, reason == nil {
                    reason = !seen && repository == nil
                        ? "its repository is unknown (\(try row.decode(String?.self, at: 5) ?? "no repository field")) and it names no deployment, PR or commit that shipped"
                        : "not derived yet"
                }
                items.append([
                    "id": try row.decode(Int64.self, at: 0), "external_id": try row.decode(String.self, at: 1),
                    "source": try row.decode(String.self, at: 2), "title": try row.decode(String.self, at: 3),
                    "repository": JSONDoc.value(repository), "deployment_reference": JSONDoc.value(try row.decode(String?.self, at: 15)),
                    "started_at": JSONDoc.iso(try row.decode(Date.self, at: 6)), "resolved_at": JSONDoc.value(try row.decode(Date?.self, at: 7)),
                    "open": try row.decode(Date?.self, at: 7) == nil,
                    "deployment_id": JSONDoc.value(deployment), "rule": JSONDoc.value(try row.decode(String?.self, at: 9)),
                    "pr_id": JSONDoc.value(try row.decode(Int64?.self, at: 10)), "commit_sha": JSONDoc.value(try row.decode(String?.self, at: 11)),
                    "unattributed_reason": JSONDoc.value(deployment == nil ? reason : nil),
                ])
            }
            return try await Self.page("incidents", items, more: rows.count > limit, last: page.last, sortColumn: 14, tx, clientID: clientID)
        }
    }
}
