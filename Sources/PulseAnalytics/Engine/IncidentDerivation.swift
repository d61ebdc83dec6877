import Foundation

/// One status change of a work item (changelogs, field 'status').
public struct StatusTransition: Sendable, Equatable {
    public var at: Date
    public var from: String?
    public var to: String
    public init(at: Date, from: String?, to: String) {
        self.at = at
        self.from = from
        self.to = to
    }
}

/// A Jira work item as far as incidents are concerned.
public struct WorkItemFact: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var type: String?
    public var summary: String
    public var description: String?
    public var createdAt: Date
    public var components: [String]
    /// Raw custom fields rendered as text (field id -> value).
    public var fields: [String: String]
    public var transitions: [StatusTransition]

    public init(id: Int64, key: String, type: String?, summary: String, description: String? = nil, createdAt: Date,
                components: [String] = [], fields: [String: String] = [:], transitions: [StatusTransition] = []) {
        self.id = id
        self.key = key
        self.type = type
        self.summary = summary
        self.description = description
        self.createdAt = createdAt
        self.components = components
        self.fields = fields
        self.transitions = transitions
    }
}

/// The client's mappings and the integration's incident fields.
public struct IncidentMappings: Sendable, Equatable {
    /// work item type name -> mapped type (wits_mappings); 'incident' marks incidents.
    public var witsMappings: [String: String]
    /// status name -> to_do | in_progress | done (status_mappings).
    public var statusMappings: [String: String]
    public var repositoryField: String?
    public var deploymentField: String?

    public init(witsMappings: [String: String], statusMappings: [String: String], repositoryField: String? = nil,
                deploymentField: String? = nil) {
        self.witsMappings = Dictionary(witsMappings.map { ($0.key.lowercased(), $0.value.lowercased()) }, uniquingKeysWith: { a, _ in a })
        self.statusMappings = Dictionary(statusMappings.map { ($0.key.lowercased(), $0.value.lowercased()) }, uniquingKeysWith: { a, _ in a })
        self.repositoryField = repositoryField
        self.deploymentField = deploymentField
    }

    public func isDone(_ status: String?) -> Bool {
        guard let status else { return false }
        return statusMappings[status.lowercased()] == "done"
    }

    public func isIncident(_ type: String?) -> Bool {
        guard let type else { return false }
        return witsMappings[type.lowercased()] == "incident"
    }
}

/// An incident derived from a work item, before its repository is resolved to an id.
public struct DerivedIncident: Sendable, Equatable {
    public var workItemID: Int64
    public var externalID: String
    public var title: String
    public var description: String?
    public var startedAt: Date
    public var resolvedAt: Date?
    public var repositoryReference: String?
    public var deploymentReference: String?
}

public enum IncidentDerivation {
    /// Resolution: the last transition from a status not mapped to `done` into one mapped to
    /// `done` (done -> done moves do not count). An incident whose current status is not done
    /// (reopened and not resolved again) is open: nil.
    public static func resolution(_ transitions: [StatusTransition], mappings: IncidentMappings) -> Date? {
        let ordered = transitions.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        guard let last = ordered.last, mappings.isDone(last.to) else { return nil }
        return ordered.last(where: { !mappings.isDone($0.from) && mappings.isDone($0.to) })?.at
    }

    /// The incident a work item is, if its type maps to `incident`.
    public static func incident(_ item: WorkItemFact, mappings: IncidentMappings) -> DerivedIncident? {
        guard mappings.isIncident(item.type) else { return nil }
        var repository: String?
        if let field = mappings.repositoryField, let value = item.fields[field]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
            repository = value
        } else {
            repository = item.components.first { $0.split(separator: "/").count == 2 }
        }
        var deployment: String?
        if let field = mappings.deploymentField, let value = item.fields[field]?.trimmingCharacters(in: .whitespaces), !value.isEmpty {
            deployment = value
        }
        return DerivedIncident(workItemID: item.id, externalID: item.key, title: item.summary, description: item.description,
                               startedAt: item.createdAt, resolvedAt: resolution(item.transitions, mappings: mappings),
                               repositoryReference: repository, deploymentReference: deployment)
    }
}
