import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

/// F-PORTFOLIO: `GET /api/v1/analytics/portfolio?from&to[&project=KEY]`, per project:
/// throughput (items that entered done in the period, by the status mappings), WIP (items in a
/// status mapped to in_progress now), lead time (created -> done) and cycle time (first move
/// into in_progress -> done), predictability (sprint completion ratio where sprints exist,
/// else 1 - coefficient of variation of weekly throughput), flow distribution by mapped work
/// item type, and aging WIP (age in progress of the open items).
struct PortfolioAnalytics {
    let database: PostgresDatabase

    func answer(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clientID = try request.tenantID()
        return try await database.client(clientID).read(.analytics) { tx in
            let period = try AnalyticsScope.period(request)
            var projectFilter: Int?
            if let key = request.query("project") {
                let rows = try await tx.query("SELECT id FROM projects WHERE client_id = $1 AND key = $2", [clientID, key])
                guard let row = rows.first else { throw badParameter("project", "unknown project \(key)") }
                projectFilter = try row.decode(Int.self, at: 0)
            }
            var statusMap: [String: String] = [:]
            for row in try await tx.query("SELECT lower(status_from), status_to FROM status_mappings WHERE client_id = $1", [clientID]) {
                statusMap[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
            }
            var witMap: [String: String] = [:]
            for row in try await tx.query("SELECT lower(wit_from), wit_to FROM wits_mappings WHERE client_id = $1", [clientID]) {
                witMap[try row.decode(String.self, at: 0)] = try row.decode(String.self, at: 1)
            }
            let mappings = IncidentMappings(witsMappings: [:], statusMappings: statusMap)
            struct Item { var project: String; var type: String; var status: String?; var created: Date; var transitions: [StatusTransition] = [] }
            var items: [Int64: Item] = [:]
            for row in try await tx.query(
                """
                SELECT w.id, p.key, w.wit_name, w.status_name, w.source_created_at FROM work_items w
                JOIN projects p ON p.client_id = w.client_id AND p.id = w.project_id
                WHERE w.client_id = $1 AND ($2::int IS NULL OR w.project_id = $2)
                """, [clientID, projectFilter]) {
                let type = try row.decode(String?.self, at: 2) ?? "unknown"
                items[try row.decode(Int64.self, at: 0)] = Item(project: try row.decode(String.self, at: 1), type: witMap[type.lowercased()] ?? type,
                                                                 status: try row.decode(String?.self, at: 3), created: try row.decode(Date.self, at: 4))
            }
            for row in try await tx.query(
                """
                SELECT c.work_item_id, c.changed_at, c.from_value, c.to_value FROM changelogs c
                JOIN work_items w ON w.client_id = c.client_id AND w.id = c.work_item_id
                WHERE c.client_id = $1 AND c.field = 'status' AND ($2::int IS NULL OR w.project_id = $2) ORDER BY c.changed_at, c.id
                """, [clientID, projectFilter]) {
                let id = try row.decode(Int64.self, at: 0)
                items[id]?.transitions.append(StatusTransition(at: try row.decode(Date.self, at: 1), from: try row.decode(String?.self, at: 2),
                                                               to: try row.decode(String?.self, at: 3) ?? ""))
            }
            var sprintRatios: [String: [Double]] = [:]
            for row in try await tx.query(
                """
                SELECT p.key, s.id, COALESCE(s.complete_at, s.end_at), array_agg(si.work_item_id) FROM sprints s
                JOIN projects p ON p.client_id = s.client_id AND p.id = s.project_id
                JOIN sprint_work_items si ON si.client_id = s.client_id AND si.sprint_id = s.id
                WHERE s.client_id = $1 AND COALESCE(s.complete_at, s.end_at) >= $2 AND COALESCE(s.complete_at, s.end_at) < $3
                  AND ($4::int IS NULL OR s.project_id = $4)
                GROUP BY p.key, s.id
                """, [clientID, period.start, period.end, projectFilter]) {
                let end = try row.decode(Date.self, at: 2)
                let members = try row.decode([Int64].self, at: 3)
                let done = members.filter { id in
                    guard let item = items[id], let at = IncidentDerivation.resolution(item.transitions, mappings: mappings) else { return false }
                    return at <= end
                }.count
                sprintRatios[try row.decode(String.self, at: 0), default: []].append(members.isEmpty ? 0 : Double(done) / Double(members.count))
            }
            let now = Date()
            var projects: [String: Any] = [:]
            for (key, list) in Dictionary(grouping: items.values, by: \.project) {
                var lead: [Double] = [], cycle: [Double] = [], flow: [String: Int] = [:], aging: [Double] = []
                var weekly = [Int](repeating: 0, count: max(1, (period.days + 6) / 7))
                var wip = 0
                for item in list {
                    let current = item.status.flatMap { statusMap[$0.lowercased()] }
                    let firstInProgress = item.transitions.first { statusMap[$0.to.lowercased()] == "in_progress" }?.at
                    if current == "in_progress" {
                        wip += 1
                        aging.append(now.timeIntervalSince(firstInProgress ?? item.created))
                    }
                    guard let done = IncidentDerivation.resolution(item.transitions, mappings: mappings), period.contains(done) else { continue }
                    lead.append(done.timeIntervalSince(item.created))
                    if let start = firstInProgress, start <= done { cycle.append(done.timeIntervalSince(start)) }
                    flow[item.type, default: 0] += 1
                    weekly[min(weekly.count - 1, period.dayIndex(done) / 7)] += 1
                }
                let throughput = lead.count
                var predictability: [String: Any]
                if let ratios = sprintRatios[key], !ratios.isEmpty {
                    predictability = ["method": "sprint_completion", "value": ratios.reduce(0, +) / Double(ratios.count), "sprints": ratios.count]
                } else {
                    let mean = Double(weekly.reduce(0, +)) / Double(weekly.count)
                    let sd = (weekly.map { pow(Double($0) - mean, 2) }.reduce(0, +) / Double(weekly.count)).squareRoot()
                    predictability = ["method": "throughput_variation", "value": mean == 0 ? NSNull() : max(0, 1 - sd / mean) as Any,
                                      "coefficient_of_variation": mean == 0 ? NSNull() : sd / mean as Any]
                }
                projects[key] = [
                    "throughput": throughput, "throughput_per_week": Double(throughput) * 7 / Double(period.days), "wip": wip,
                    "lead_time_seconds": PullRequestAnalytics.summary(lead), "cycle_time_seconds": PullRequestAnalytics.summary(cycle),
                    "predictability": predictability,
                    "flow_distribution": flow.mapValues { throughput == 0 ? 0 : Double($0) / Double(throughput) },
                    "flow_counts": flow, "aging_wip_seconds": PullRequestAnalytics.summary(aging),
                ]
            }
            var object: [String: Any] = ["from": JSONDoc.day(period.start), "to": JSONDoc.day(period.end.addingTimeInterval(-86400)),
                                         "projects": projects]
            DORARoutes.stamp(&object, try await DORAReadModel.state(tx, clientID: clientID))
            return try JSONDoc.response(object)
        }
    }
}
