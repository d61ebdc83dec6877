import Foundation
import PulseHTTP
import PulsePostgres

/// The question of `POST /ai/forecasts/delivery`: which items, and optionally a date.
public struct ForecastInput: Sendable, Decodable {
    public var workItemIds: [Int64]?
    public var epic: String?
    public var project: String?
    /// Forecast this many items (with `project` or client-wide throughput) instead of a list.
    public var items: Int?
    public var targetDate: String?
    public var trials: Int?
    public var historyWeeks: Int?
    public var seed: UInt64?
}

public struct DeliveryForecast: Sendable, Codable {
    public var scope: String
    public var remainingItems: Int
    public var throughputHistory: [Int]
    public var historyWeeks: Int
    public var trials: Int
    public var start: Date
    public var p50Weeks: Int, p85Weeks: Int, p95Weeks: Int
    public var p50Date: Date, p85Date: Date, p95Date: Date
    public var targetDate: Date?
    /// Fraction of trials done by the target date.
    public var probabilityByTarget: Double?
    public var model: String
    public var predictionId: Int?
    public var notes: [String]
}

/// Monte Carlo delivery forecasts over a project's (or the client's) weekly throughput of
/// finished work items, logged to `ai_predictions` and scored once the items are done.
struct DeliveryForecaster: Sendable {
    static let model = "monte-carlo-throughput-v1"
    let database: PostgresDatabase
    var now: @Sendable () -> Date = { Date() }

    /// Items finished in each of the `weeks` full weeks (Monday-based, UTC) before `asOf`'s week, oldest first.
    func throughput(clientID: Int, projectID: Int?, weeks: Int, asOf: Date) async throws -> [Int] {
        let rows = try await database.client(clientID).query("""
            SELECT g.week, count(w.id) FROM generate_series(date_trunc('week', $3::timestamptz AT TIME ZONE 'UTC') - make_interval(weeks => $4),
                                                         date_trunc('week', $3::timestamptz AT TIME ZONE 'UTC') - interval '1 week',
                                                         interval '1 week') AS g(week)
            LEFT JOIN work_items w ON w.client_id = $1 AND ($2::int IS NULL OR w.project_id = $2)
                 AND w.resolved_at >= (g.week AT TIME ZONE 'UTC') AND w.resolved_at < ((g.week + interval '1 week') AT TIME ZONE 'UTC')
            GROUP BY g.week ORDER BY g.week
            """, [clientID, projectID, asOf, weeks])
        return try rows.map { try $0.decode(Int.self, at: 1) }
    }

    func forecast(clientID: Int, _ input: ForecastInput) async throws -> DeliveryForecast {
        let trials = input.trials ?? 10_000
        guard (1_000...200_000).contains(trials) else { throw HTTPError(.badRequest, detail: "trials must be in 1000...200000") }
        let weeks = input.historyWeeks ?? 26
        guard (4...156).contains(weeks) else { throw HTTPError(.badRequest, detail: "history_weeks must be in 4...156") }
        var target: Date?
        if let text = input.targetDate {
            guard let date = Self.day.date(from: text) else { throw HTTPError(.badRequest, detail: "target_date must be YYYY-MM-DD") }
            target = date.addingTimeInterval(86_399)  // the end of that day
        }
        let scoped = [input.workItemIds != nil, input.epic != nil].filter { $0 }.count
        guard scoped <= 1 else { throw HTTPError(.badRequest, detail: "give work_item_ids or epic, not both") }
        let scope = database.client(clientID)
        var projectID = try await AIRoutes.project(input.project, clientID: clientID, database: database)
        var openIDs: [Int64] = []
        var scopeText: String
        if let ids = input.workItemIds {
            guard !ids.isEmpty, ids.count <= 10_000 else { throw HTTPError(.badRequest, detail: "work_item_ids needs 1 to 10000 ids") }
            let rows = try await scope.query(
                "SELECT id, resolved_at IS NULL, project_id FROM work_items WHERE client_id = $1 AND id = ANY($2::bigint[])", [clientID, ids])
            guard rows.count == Set(ids).count else { throw HTTPError(.notFound, detail: "unknown work item ids") }
            var projects = Set<Int?>()
            for row in rows {
                if try row.decode(Bool.self, at: 1) { openIDs.append(try row.decode(Int64.self, at: 0)) }
                projects.insert(try row.decode(Int?.self, at: 2))
            }
            if projectID == nil, projects.count == 1, let only = projects.first { projectID = only }
            scopeText = "\(ids.count) work items"
        } else if let epic = input.epic {
            let rows = try await scope.query("SELECT project_id FROM work_items WHERE client_id = $1 AND key = $2", [clientID, epic])
            guard let row = rows.first else { throw HTTPError(.notFound, detail: "no epic '\(epic.prefix(60))'") }
            if projectID == nil { projectID = try row.decode(Int?.self, at: 0) }
            openIDs = try await scope.query(
                "SELECT id FROM work_items WHERE client_id = $1 AND parent_key = $2 AND resolved_at IS NULL", [clientID, epic])
                .map { try $0.decode(Int64.self, at: 0) }
            scopeText = "epic \(epic)"
        } else if input.items == nil {
            guard let projectID else { throw HTTPError(.badRequest, detail: "give work_item_ids, epic, project or items") }
            openIDs = try await scope.query("""
                SELECT id FROM work_items WHERE client_id = $1 AND project_id = $2 AND resolved_at IS NULL
                  AND coalesce(lower(wit_name), '') <> 'epic'
                """, [clientID, projectID]).map { try $0.decode(Int64.self, at: 0) }
            scopeText = "project backlog"
        } else {
            scopeText = projectID == nil ? "client throughput" : "project throughput"
        }
        let remaining: Int
        if let items = input.items, input.workItemIds == nil, input.epic == nil {
            guard (1...100_000).contains(items) else { throw HTTPError(.badRequest, detail: "items must be in 1...100000") }
            remaining = items
            scopeText = "\(items) items, " + scopeText
        } else {
            remaining = openIDs.count
        }
        let start = now()
        let history = try await throughput(clientID: clientID, projectID: projectID, weeks: weeks, asOf: start)
        guard let result = MonteCarloForecast.simulate(history: history, remaining: remaining, trials: trials,
                                                       seed: input.seed ?? UInt64(start.timeIntervalSince1970 * 1000)) else {
            throw HTTPError(.unprocessableContent, detail: "no finished work items in the last \(weeks) weeks: there is no throughput to forecast from")
        }
        var notes: [String] = []
        if history.filter({ $0 > 0 }).count < 4 { notes.append("thin history: fewer than 4 weeks with finished items") }
        if result.capped > 0 { notes.append("\(result.capped) trials did not finish within \(MonteCarloForecast.maximumWeeks) weeks") }
        var probability: Double?
        if let target {
            let days = target.timeIntervalSince(start) / 86_400
            probability = days < 0 ? 0 : result.probability(withinWeeks: Int((days / 7).rounded(.down)))
        }
        var forecast = DeliveryForecast(
            scope: scopeText, remainingItems: remaining, throughputHistory: history, historyWeeks: weeks, trials: trials, start: start,
            p50Weeks: result.p50, p85Weeks: result.p85, p95Weeks: result.p95,
            p50Date: MonteCarloForecast.date(afterWeeks: result.p50, from: start),
            p85Date: MonteCarloForecast.date(afterWeeks: result.p85, from: start),
            p95Date: MonteCarloForecast.date(afterWeeks: result.p95, from: start),
            targetDate: target, probabilityByTarget: probability, model: Self.model, predictionId: nil, notes: notes)
        var features: [String: Any] = [
            "scope": scopeText, "remaining": remaining, "start": start.timeIntervalSince1970,
            "p85_date": forecast.p85Date.timeIntervalSince1970, "p50_weeks": result.p50, "p95_weeks": result.p95,
        ]
        if let projectID { features["project_id"] = projectID }
        if input.items == nil || input.workItemIds != nil || input.epic != nil { features["item_ids"] = openIDs }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: features, options: [.sortedKeys]), as: UTF8.self)
        let rows = try await scope.query("""
            INSERT INTO ai_predictions (model_name, prediction_value, input_features, prediction_type, client_id)
            VALUES ($1, $2, $3, 'delivery_forecast', $4) RETURNING id
            """, [Self.model, Double(result.p85), text, clientID])
        forecast.predictionId = try rows[0].decode(Int.self, at: 0)
        return forecast
    }

    static let day: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter
    }()
}
