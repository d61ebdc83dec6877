import Foundation

/// One Jira issue as Pulse stores it (a `work_items` row plus its status changes and sprint
/// memberships), read from an issue bean of `/search/jql`. Pure: no I/O, so every odd
/// payload can be tested directly.
struct JiraIssueRecord: Sendable, Equatable {
    var externalID: String
    var key: String
    var projectKey: String
    var summary: String
    var description: String?
    var typeName: String?
    var statusName: String?
    var statusCategory: String?
    var priority: String?
    var assignee: String?
    var reporter: String?
    var storyPoints: Double?
    var labels: [String]
    var components: [String]
    var parentKey: String?
    /// The name of the issue's current sprint (the open one, else the latest).
    var sprintName: String?
    /// Sprint ids the issue belongs to (from the sprint field), for `sprint_work_items`.
    var sprintIDs: [String]
    var createdAt: Date
    var updatedAt: Date?
    var resolvedAt: Date?
    /// The raw custom fields Pulse asked for (`customfield_*`), as JSON object text.
    var customFieldsJSON: String
    var statusChanges: [JiraStatusChange]
    /// True when the embedded changelog is only the most recent part of the history.
    var changelogTruncated: Bool

    /// What the connector needs to know to read an issue bean.
    struct Fields: Sendable {
        /// Story-points fields (a site may have both "Story Points" and "Story point estimate").
        var storyPoints: [String] = []
        var sprint: String?
    }

    /// Reads an issue bean; throws a reason (the item is skipped and reported) when a field
    /// Pulse cannot do without is missing or unusable.
    init(_ issue: JiraValue, fields names: Fields) throws(JiraItemProblem) {
        guard case .object = issue.raw else { throw JiraItemProblem("an issue that is not a JSON object") }
        guard let id = issue["id"].text else { throw JiraItemProblem("an issue without an id (key \(issue["key"].string ?? "?"))") }
        guard let key = issue["key"].text else { throw JiraItemProblem("issue \(id) has no key") }
        guard id.unicodeScalars.count <= 255, key.unicodeScalars.count <= 100 else {
            throw JiraItemProblem("issue \(key.prefix(100)) has an id or key longer than Pulse stores (255 / 100 characters)")
        }
        let fields = issue["fields"]
        guard case .object = fields.raw else { throw JiraItemProblem("issue \(key) has no fields object") }
        guard let summary = fields["summary"].string else { throw JiraItemProblem("issue \(key) has no summary") }
        guard let created = JiraTime.parse(fields["created"]) else {
            throw JiraItemProblem("issue \(key) has no usable created date (\(fields["created"].jsonText))")
        }
        externalID = id
        self.key = key
        projectKey = fields["project"]["key"].text ?? String(key.split(separator: "-").first ?? Substring(key))
        let clip = JiraValue.clip
        self.summary = summary
        description = AtlassianDocument.plainText(fields["description"])
        typeName = clip(fields["issuetype"]["name"].text, 255)
        statusName = clip(fields["status"]["name"].text, 255)
        statusCategory = clip(fields["status"]["statusCategory"]["key"].text, 50)
        priority = clip(fields["priority"]["name"].text, 50)
        assignee = clip(Self.person(fields["assignee"]), 255)
        reporter = clip(Self.person(fields["reporter"]), 255)
        storyPoints = names.storyPoints.lazy.compactMap { fields[$0].double }.first(where: { $0.isFinite && abs($0) < 1e30 })  // REAL holds about 3e38
        labels = fields["labels"].array.compactMap(\.stringValue)
        components = fields["components"].array.compactMap { $0["name"].text ?? $0.stringValue }
        parentKey = clip(fields["parent"]["key"].text, 100)
        let sprints = names.sprint.map { fields[$0].array } ?? []
        sprintIDs = sprints.compactMap { $0["id"].string }
        let current = sprints.last(where: { $0["state"].string == "active" }) ?? sprints.last
        sprintName = clip(current?["name"].text, 255)
        createdAt = created
        updatedAt = JiraTime.parse(fields["updated"])
        resolvedAt = JiraTime.parse(fields["resolutiondate"])
        var custom: [String: JiraValue] = [:]
        for (name, value) in fields.members where name.hasPrefix("customfield_") { custom[name] = value }
        customFieldsJSON = JiraValue.object(custom).jsonText
        let changelog = issue["changelog"]
        let histories = changelog["histories"].array
        statusChanges = histories.flatMap(JiraStatusChange.changes(in:))
        let total = changelog["total"].int ?? histories.count
        changelogTruncated = total > histories.count
    }

    private static func person(_ value: JiraValue) -> String? {
        value["displayName"].text ?? value["accountId"].text ?? value["emailAddress"].text
    }
}

/// A status transition from one changelog history (`field == "status"`).
struct JiraStatusChange: Sendable, Equatable {
    /// The history's id (unique per issue).
    var externalID: String
    var fromName: String?
    var toName: String?
    var fromID: String?
    var toID: String?
    var author: String?
    var changedAt: Date

    /// The status items of one history (of `/search/jql` `changelog.histories`,
    /// `/issue/{key}/changelog` `values` or bulkfetch `changeHistories`); histories without
    /// an id or a readable time are left out.
    static func changes(in history: JiraValue) -> [JiraStatusChange] {
        guard let id = JiraValue.clip(history["id"].text, 255), let at = JiraTime.parse(history["created"]) else { return [] }
        let author = JiraValue.clip(history["author"]["displayName"].text ?? history["author"]["accountId"].text, 255)
        return history["items"].array.filter { ($0["fieldId"].string ?? $0["field"].string) == "status" }.map { item in
            JiraStatusChange(externalID: id, fromName: JiraValue.clip(item["fromString"].text, 255), toName: JiraValue.clip(item["toString"].text, 255),
                             fromID: JiraValue.clip(item["from"].text, 255), toID: JiraValue.clip(item["to"].text, 255), author: author, changedAt: at)
        }
    }
}

/// Why one vendor item was skipped (reported to the job, the rest of the page is stored).
struct JiraItemProblem: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
