import Foundation
import PulseHTTP
import PulsePostgres

/// JSON documents built as dictionaries so that "no data" is an explicit `null`.
enum JSONDoc {
    static func value(_ v: Double?) -> Any { v.map { $0 as Any } ?? NSNull() }
    static func value(_ v: String?) -> Any { v.map { $0 as Any } ?? NSNull() }
    static func value(_ v: Int64?) -> Any { v.map { $0 as Any } ?? NSNull() }
    static func value(_ v: Int?) -> Any { v.map { $0 as Any } ?? NSNull() }
    static func value(_ v: Date?) -> Any { v.map { iso($0) as Any } ?? NSNull() }
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
    static func day(_ date: Date) -> String {
        let c = utcCalendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
    static func response(_ object: [String: Any], status: HTTPStatus = .ok) throws -> HTTPResponse {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        var response = HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes([UInt8](data)))
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }
}

/// A 400 problem naming the query or body parameter at fault.
func badParameter(_ name: String, _ detail: String) -> HTTPError {
    HTTPError(.badRequest, detail: "\(name): \(detail)", type: "urn:pulse:analytics:invalid-parameter")
}

/// The period and scope of an analytics query, validated.
struct AnalyticsScope {
    var period: DORAPeriod
    /// nil = the whole client.
    var repositoryIDs: [Int]?
    var label: [String: Any]

    static let maximumDays = 1827  // five years, leap days included

    static func period(_ request: HTTPRequest) throws -> DORAPeriod {
        guard let fromText = request.query("from"), !fromText.isEmpty else { throw badParameter("from", "required, as YYYY-MM-DD") }
        guard let toText = request.query("to"), !toText.isEmpty else { throw badParameter("to", "required, as YYYY-MM-DD") }
        guard let from = DORAPeriod.day(fromText) else { throw badParameter("from", "not a valid date (YYYY-MM-DD): \(fromText)") }
        guard let to = DORAPeriod.day(toText) else { throw badParameter("to", "not a valid date (YYYY-MM-DD): \(toText)") }
        guard from <= to else { throw badParameter("from", "must not be after to") }
        let period = DORAPeriod(start: from, days: Int((to.timeIntervalSince(from) / 86400).rounded()) + 1)
        guard period.days <= maximumDays else { throw badParameter("to", "the period is longer than 5 years") }
        return period
    }

    /// Resolves repository / project / team into repository ids (in the caller's tenant).
    static func resolve(_ request: HTTPRequest, _ tx: PostgresTransaction, clientID: Int) async throws -> AnalyticsScope {
        let period = try period(request)
        var ids: Set<Int>?
        var label: [String: Any] = [:]
        func intersect(_ found: [Int]) { ids = ids.map { $0.intersection(found) } ?? Set(found) }
        if let name = request.query("repository") {
            let rows = try await tx.query("SELECT id FROM repositories WHERE client_id = $1 AND lower(full_name) = lower($2)", [clientID, name])
            guard let row = rows.first else { throw badParameter("repository", "unknown repository \(name)") }
            intersect([try row.decode(Int.self, at: 0)])
            label["repository"] = name
        }
        if let key = request.query("project") {
            let project = try await tx.query("SELECT id FROM projects WHERE client_id = $1 AND key = $2", [clientID, key])
            guard let row = project.first else { throw badParameter("project", "unknown project \(key)") }
            let repos = try await tx.query("SELECT id FROM repositories WHERE client_id = $1 AND project_id = $2",
                                           [clientID, try row.decode(Int.self, at: 0)])
            intersect(try repos.map { try $0.decode(Int.self, at: 0) })
            label["project"] = key
        }
        if let team = request.query("team") {
            let exists = try await tx.query("SELECT to_regclass('public.team_repositories') IS NOT NULL")
            guard try exists[0].decode(Bool.self, at: 0) else {
                throw badParameter("team", "team scope needs the teams tables (backend migration 0014), which this database does not have yet")
            }
            let rows = try await tx.query("SELECT id FROM teams WHERE client_id = $1 AND (name = $2 OR id::text = $2)", [clientID, team])
            guard let row = rows.first else { throw badParameter("team", "unknown team \(team)") }
            let repos = try await tx.query("SELECT repository_id FROM team_repositories WHERE client_id = $1 AND team_id = $2",
                                           [clientID, try row.decode(Int.self, at: 0)])
            intersect(try repos.map { try $0.decode(Int.self, at: 0) })
            label["team"] = team
        }
        return AnalyticsScope(period: period, repositoryIDs: ids.map { Array($0).sorted() }, label: label)
    }

    static func limit(_ request: HTTPRequest) throws -> Int {
        guard let text = request.query("limit") else { return 50 }
        guard let value = Int(text), (1...500).contains(value) else { throw badParameter("limit", "an integer from 1 to 500") }
        return value
    }
}
