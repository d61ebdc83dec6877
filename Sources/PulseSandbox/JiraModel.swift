/// The Jira Cloud half of a generated organisation, as plain values. Times are epoch seconds
/// (UTC); the payloads show them in the sandbox user's zone (Europe/Berlin).
public struct SandboxJira: Sendable {
    /// The bot account's zone, as `/myself` reports it; JQL dates are read in it.
    public var timeZone = "Europe/Berlin"
    /// The story-points field (`Story Points`, discoverable through `/field`).
    public var storyPointsField = "customfield_10016"
    public var sprintField = "customfield_10020"
    /// The integration's incident repository field (value `owner/repo`).
    public var repositoryField = "customfield_10050"
    /// The integration's incident deployment field (a deployment URL or id).
    public var deploymentField = "customfield_10051"
    public var projects: [SandboxJiraProject]
    public var issueTypes: [SandboxIssueType]
    public var statuses: [SandboxStatus]
    public var accounts: [SandboxAccount]
    public var boards: [SandboxBoard]
    public var sprints: [SandboxSprint]
    /// Every issue of every project, by project then number.
    public var issues: [SandboxIssue]

    /// Positions in `issues` by key and by id (as text).
    var issueIndex: [String: Int] = [:]

    public func issue(_ idOrKey: String) -> SandboxIssue? {
        (issueIndex[idOrKey.uppercased()] ?? issueIndex[idOrKey]).map { issues[$0] }
    }

    mutating func reindex() {
        issueIndex.removeAll(keepingCapacity: true)
        for (i, issue) in issues.enumerated() {
            issueIndex[issue.key] = i
            issueIndex[String(issue.id)] = i
        }
    }

    public func status(_ id: String) -> SandboxStatus { statuses.first { $0.id == id }! }
    public func issueType(named name: String) -> SandboxIssueType { issueTypes.first { $0.name == name }! }
}

public struct SandboxJiraProject: Sendable {
    public var id: String
    public var key: String
    public var name: String
}

public struct SandboxIssueType: Sendable {
    public var id: String
    public var name: String
    public var description: String
    public var subtask: Bool
    public var hierarchyLevel: Int
}

public struct SandboxStatus: Sendable {
    public var id: String
    public var name: String
    /// `new`, `indeterminate` or `done` (Jira's built-in category keys).
    public var categoryKey: String

    public var categoryID: Int64 { ["new": 2, "indeterminate": 4, "done": 3][categoryKey] ?? 1 }
    public var categoryName: String { ["new": "To Do", "indeterminate": "In Progress", "done": "Done"][categoryKey] ?? "No Category" }
    public var categoryColor: String { ["new": "blue-gray", "indeterminate": "yellow", "done": "green"][categoryKey] ?? "medium-gray" }
}

public struct SandboxAccount: Sendable, Hashable {
    public var accountID: String
    public var displayName: String
    public var email: String
}

public struct SandboxBoard: Sendable {
    public var id: Int
    public var name: String
    /// `scrum` or `kanban`.
    public var type: String
    public var projectKey: String
}

public struct SandboxSprint: Sendable {
    public var id: Int
    public var boardID: Int
    public var name: String
    /// `closed`, `active` or `future`.
    public var state: String
    public var goal: String
    public var start: Int64?
    public var end: Int64?
    public var complete: Int64?
}

/// One changed field inside a history.
public struct SandboxChangeItem: Sendable {
    public var field: String
    public var fieldtype: String
    public var fieldID: String
    public var from: String?
    public var fromString: String?
    public var to: String?
    public var toString: String?
}

public struct SandboxHistory: Sendable {
    public var id: Int64
    public var author: SandboxAccount
    public var created: Int64
    public var items: [SandboxChangeItem]
}

public struct SandboxIssue: Sendable {
    public var id: Int64
    public var key: String
    public var projectKey: String
    public var typeName: String
    public var summary: String
    /// Plain text; served as Atlassian Document Format.
    public var description: String?
    public var statusID: String
    public var priority: String
    public var labels: [String]
    public var reporter: SandboxAccount
    public var assignee: SandboxAccount?
    public var created: Int64
    public var updated: Int64
    public var resolutionDate: Int64?
    public var statusCategoryChanged: Int64
    public var storyPoints: Int?
    public var parentKey: String?
    public var sprintIDs: [Int]
    /// `customfield_10050`: `owner/repo` (incidents).
    public var repository: String?
    /// `customfield_10051`: a deployment URL or id (some incidents).
    public var deployment: String?
    /// Oldest first.
    public var histories: [SandboxHistory]
}
