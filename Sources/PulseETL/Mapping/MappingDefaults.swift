import PulsePostgres

/// A normalised flow step of a status mapping. The table (`status_mappings.status_to`)
/// stores `to_do|in_progress|done`; the mappings API speaks `to-do|in-progress|done`. This
/// type is the one place that converts between the two.
public enum StatusTarget: String, Sendable, CaseIterable, Codable {
    case toDo = "to_do"
    case inProgress = "in_progress"
    case done = "done"

    /// The word the mappings API uses (`to-do`, `in-progress`, `done`).
    public var apiWord: String { rawValue.replacingOccurrences(of: "_", with: "-") }

    /// Reads the API word (`to-do`); the stored form (`to_do`) is accepted too.
    public init?(apiWord: String) {
        self.init(rawValue: apiWord.lowercased().replacingOccurrences(of: "-", with: "_"))
    }

    /// Reads the stored form (`to_do`).
    public init?(stored: String) { self.init(rawValue: stored) }

    /// The value for `status_mappings.status_to`.
    public var stored: String { rawValue }
}

/// A normalised work item type (`wits_mappings.wit_to`, same words in table and API).
public enum WorkItemTypeTarget: String, Sendable, CaseIterable, Codable {
    case incident, bug, story, task, epic, other
}

/// The default mappings Pulse inserts when a connector discovers statuses and work item
/// types: by Jira status category and by common type names. Pure functions, shared with the
/// backend's mappings API; an admin's stored mapping always wins (the defaults are written
/// with `ON CONFLICT DO NOTHING`).
public enum MappingDefaults {
    /// Jira status category key → flow step: `new` → to-do, `indeterminate` → in-progress,
    /// `done` → done; nil for anything else (`undefined`, unknown keys: an admin decides).
    public static func statusTarget(category: String?) -> StatusTarget? {
        switch category?.lowercased() {
        case "new": return .toDo
        case "indeterminate": return .inProgress
        case "done": return .done
        default: return nil
        }
    }

    /// Work item type name → normalised type: Incident, Bug, Story, Task / Sub-task, Epic
    /// (case-insensitive, spaces and dashes ignored); every other name is `other`.
    public static func workItemTypeTarget(name: String) -> WorkItemTypeTarget {
        let folded = name.lowercased().filter { $0 != " " && $0 != "-" && $0 != "_" }
        switch folded {
        case "incident": return .incident
        case "bug": return .bug
        case "story", "userstory": return .story
        case "task", "subtask": return .task
        case "epic": return .epic
        default: return .other
        }
    }

    /// Inserts the default mapping of each discovered status (name, Jira category) that has
    /// no mapping yet; existing rows (an admin's choice or an earlier default) stay as they are.
    public static func insertStatusDefaults(_ statuses: [(name: String, category: String?)], in transaction: PostgresTransaction) async throws {
        guard let clientID = transaction.clientID else { return }
        var names: [String] = [], targets: [String] = [], categories: [String?] = []
        for status in statuses {
            guard let target = statusTarget(category: status.category), !names.contains(status.name) else { continue }
            names.append(status.name)
            targets.append(target.stored)
            categories.append(status.category)
        }
        guard !names.isEmpty else { return }
        try await transaction.query(
            """
            INSERT INTO status_mappings (client_id, status_from, status_to, status_category)
            SELECT $1, f, t, c FROM unnest($2::text[], $3::text[], $4::text[]) AS u(f, t, c)
            ON CONFLICT (client_id, status_from) DO NOTHING
            """, [clientID, names, targets, categories])
    }

    /// Inserts the default mapping of each discovered work item type name that has none yet.
    public static func insertWorkItemTypeDefaults(_ names: [String], in transaction: PostgresTransaction) async throws {
        guard let clientID = transaction.clientID else { return }
        var unique: [String] = []
        for name in names where !unique.contains(name) { unique.append(name) }
        guard !unique.isEmpty else { return }
        try await transaction.query(
            """
            INSERT INTO wits_mappings (client_id, wit_from, wit_to)
            SELECT $1, f, t FROM unnest($2::text[], $3::text[]) AS u(f, t)
            ON CONFLICT (client_id, wit_from) DO NOTHING
            """, [clientID, unique, unique.map { workItemTypeTarget(name: $0).rawValue }])
    }
}
