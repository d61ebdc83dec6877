import Foundation
import PulseHTTP
import PulsePostgres

/// A client's settings (F-TENANT) in `system_settings` under `client.settings`: time zone,
/// working week, benchmark year (mirrored into `clients.dora_benchmark_year`, which analytics
/// reads). Feature flags live beside them (`FeatureFlags`).
enum ClientSettings {
    static let key = "client.settings"
    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    static let spec = BodySpec([
        Field("time_zone", .string(maxLength: 64, minLength: 1)),
        Field("working_week", .array(.string(maxLength: 3, values: days), maxItems: 7)),
        Field("benchmark_year", .integer(minimum: 2014, maximum: 2100)),
    ])

    static let defaults: [String: JSONValue] = [
        "time_zone": .string("UTC"), "working_week": .array(["mon", "tue", "wed", "thu", "fri"].map(JSONValue.string)),
        "benchmark_year": .int(2024),
    ]

    static let schema = Docs.object(["time_zone": Docs.string(64), "working_week": Docs.array(.init(type: "string", enum: days)),
                                     "benchmark_year": Docs.integer])

    /// Checks what `spec` cannot: a known time zone, no repeated day.
    static func check(_ members: [String: JSONValue], path: String = "settings.") throws {
        if let zone = members["time_zone"]?.stringValue, TimeZone(identifier: zone) == nil {
            throw BodyProblem.invalid(path + "time_zone", "is not an IANA time zone (e.g. Europe/Berlin)")
        }
        if let week = members["working_week"]?.arrayValue {
            guard !week.isEmpty else { throw BodyProblem.invalid(path + "working_week", "needs at least one day") }
            guard Set(week.compactMap(\.stringValue)).count == week.count else { throw BodyProblem.invalid(path + "working_week", "repeats a day") }
        }
    }

    /// The stored settings merged over the defaults (inside the client's scope).
    static func load(_ tx: PostgresTransaction, clientID: Int) async throws -> JSONValue {
        .object(defaults.merging(try await SystemSettings.object(tx, clientID: clientID, key: key)) { $1 })
    }

    /// Merges `changes` into the stored settings.
    static func save(_ tx: PostgresTransaction, clientID: Int, changes: [String: JSONValue]) async throws {
        guard !changes.isEmpty else { return }
        let merged = (try await load(tx, clientID: clientID).objectValue ?? [:]).merging(changes) { $1 }
        try await SystemSettings.store(tx, clientID: clientID, key: key, value: .object(merged), description: "Client settings")
        if let year = changes["benchmark_year"]?.intValue {
            try await tx.query("UPDATE clients SET dora_benchmark_year = $2 WHERE id = $1", clientID, year)
        }
    }
}

/// One JSON object per (client, key) in `system_settings`.
enum SystemSettings {
    /// An admin change of a settings object: the client row locked, If-Match checked against
    /// the current representation, saved, audited with before and after; answers the result.
    static func change(_ db: PostgresDatabase, clientID: Int, actor: Actor, request: HTTPRequest, resourceType: String,
                       load: @escaping @Sendable (PostgresTransaction) async throws -> JSONValue,
                       save: @escaping @Sendable (PostgresTransaction) async throws -> Void) async throws -> JSONValue {
        try await db.client(clientID).write { tx -> JSONValue in
            try await tx.query("SELECT 1 FROM clients WHERE id = $1 FOR UPDATE", clientID)
            let before = try await load(tx)
            try ETags.check(request, current: before.etag)
            try await save(tx)
            let after = try await load(tx)
            try await AuditTrail.record(tx, clientID: clientID, actor: actor, action: "update", resourceType: resourceType,
                                        resourceID: nil, before: before, after: after)
            return after
        }
    }

    static func object(_ tx: PostgresTransaction, clientID: Int, key: String) async throws -> [String: JSONValue] {
        guard let text = try await tx.query("SELECT setting_value::text FROM system_settings WHERE client_id = $1 AND setting_key = $2",
                                            clientID, key).first?.decode(String.self, at: 0) else { return [:] }
        return JSONValue.parse(Array(text.utf8))?.objectValue ?? [:]
    }

    static func store(_ tx: PostgresTransaction, clientID: Int, key: String, value: JSONValue, description: String) async throws {
        try await tx.query(
            """
            INSERT INTO system_settings (client_id, setting_key, setting_value, description) VALUES ($1, $2, $3::jsonb, $4)
            ON CONFLICT (client_id, setting_key) DO UPDATE SET setting_value = EXCLUDED.setting_value
            """, clientID, key, value.text, description)
    }
}
