import Foundation

/// The small data a Jira run refreshes every time before the issues: the user's time zone,
/// the configured projects, issue types, statuses with their category, the story-points
/// and sprint fields, and the boards' sprints (Jira Software only).
struct JiraReferenceData: Sendable {
    var timeZone: TimeZone
    var displayName: String?
    var projects: [JiraWriter.Project]
    var issueTypes: [JiraWriter.IssueType]
    var statuses: [JiraWriter.Status]
    var sprints: [JiraWriter.Sprint]
    var fieldNames: JiraIssueRecord.Fields
    /// False when the site has no Jira Software (the Agile API answered 404/403).
    var hasAgile: Bool

    var itemCount: Int { projects.count + issueTypes.count + statuses.count + sprints.count }

    static func load(api: JiraAPIClient, settings: JiraSettings, progress: @escaping @Sendable (SyncProgressEvent) -> Void) async throws -> JiraReferenceData {
        let me = try await api.get("/rest/api/3/myself")
        let zoneName = me["timeZone"].text ?? "UTC"
        let timeZone = TimeZone(identifier: zoneName) ?? TimeZone(identifier: "UTC")!
        if TimeZone(identifier: zoneName) == nil {
            progress(SyncProgressEvent(.skippedItem(reason: "Jira user time zone \"\(zoneName)\" is unknown; JQL dates are written in UTC")))
        }

        var found: [String: JiraWriter.Project] = [:]
        try await api.offsetPages("/rest/api/3/project/search", pageSize: 50) { values in
            for value in values {
                guard let key = value["key"].text, let id = value["id"].text, key.count <= 50, id.count <= 255 else {
                    progress(SyncProgressEvent(.skippedItem(reason: "a project without key or id: \(value.jsonText.prefix(120))")))
                    continue
                }
                found[key] = JiraWriter.Project(externalID: id, key: key, name: JiraValue.clip(value["name"].text, 255) ?? key,
                                                type: JiraValue.clip(value["projectTypeKey"].text, 50))
            }
        }
        var projects: [JiraWriter.Project] = []
        if settings.projects.isEmpty {
            projects = found.values.sorted { $0.key < $1.key }
        } else {
            var missing: [String] = []
            for key in settings.projects {
                if let project = found[key] ?? found.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame })?.value {
                    projects.append(project)
                } else {
                    missing.append(key)
                }
            }
            if !missing.isEmpty {
                let words = "Jira project\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) not found or not visible to this account"
                guard !projects.isEmpty else { throw SyncError(words, retryable: false) }
                progress(SyncProgressEvent(.skippedItem(reason: words)))
            }
        }

        let issueTypes = try await api.get("/rest/api/3/issuetype").array.compactMap { value -> JiraWriter.IssueType? in
            guard let name = JiraValue.clip(value["name"].text, 255) else { return nil }
            return JiraWriter.IssueType(externalID: JiraValue.clip(value["id"].text, 255) ?? name, name: name, description: value["description"].text)
        }
        let statuses = try await api.get("/rest/api/3/status").array.compactMap { value -> JiraWriter.Status? in
            guard let name = JiraValue.clip(value["name"].text, 255) else { return nil }
            return JiraWriter.Status(externalID: JiraValue.clip(value["id"].text, 255) ?? name, name: name,
                                     category: JiraValue.clip(value["statusCategory"]["key"].text, 50))
        }
        let fieldNames = discoverFields(try await api.get("/rest/api/3/field").array)

        var sprints: [JiraWriter.Sprint] = []
        var hasAgile = true
        var boards = Set<String>()
        agile: for project in projects {
            do {
                var projectBoards: [(id: String, type: String?)] = []
                try await api.offsetPages("/rest/agile/1.0/board", query: [("projectKeyOrId", project.key)], pageSize: 50) { values in
                    for board in values {
                        if let id = board["id"].text, boards.insert(id).inserted { projectBoards.append((id, board["type"].text)) }
                    }
                }
                for board in projectBoards where board.type != "kanban" {
                    do {
                        try await api.offsetPages("/rest/agile/1.0/board/\(board.id)/sprint", pageSize: 50) { values in
                            for value in values {
                                guard let id = JiraValue.clip(value["id"].text, 255), let name = JiraValue.clip(value["name"].text, 255) else { continue }
                                sprints.append(JiraWriter.Sprint(
                                    externalID: id, boardID: board.id, projectKey: project.key, name: name,
                                    state: JiraValue.clip(value["state"].text, 20) ?? "unknown", goal: value["goal"].text,
                                    startAt: JiraTime.parse(value["startDate"]), endAt: JiraTime.parse(value["endDate"]),
                                    completeAt: JiraTime.parse(value["completeDate"])))
                            }
                        }
                    } catch let error as JiraAPIError where error.status == 400 || error.status == 404 {
                        continue  // a board without sprints (kanban, or sprints disabled)
                    }
                }
            } catch let error as JiraAPIError where error.status == 404 || error.status == 403 {
                hasAgile = false  // no Jira Software on this site (or no access to boards): no sprints
                progress(SyncProgressEvent(.skippedItem(reason: "no Jira Software boards (\(error.status ?? 0)): sprints are not synced")))
                break agile
            }
        }
        return JiraReferenceData(timeZone: timeZone, displayName: me["displayName"].text, projects: projects,
                                 issueTypes: issueTypes, statuses: statuses, sprints: sprints, fieldNames: fieldNames,
                                 hasAgile: hasAgile)
    }

    /// The story-points fields (named "Story Points" or "Story point estimate", or of the
    /// Jira Software story-points type, with a number schema) and the sprint field.
    static func discoverFields(_ fields: [JiraValue]) -> JiraIssueRecord.Fields {
        var result = JiraIssueRecord.Fields()
        for field in fields {
            guard let id = field["id"].text else { continue }
            let name = (field["name"].text ?? "").lowercased()
            let schema = field["schema"]
            let custom = schema["custom"].text ?? ""
            let isNumber = schema["type"].string == "number"
            if isNumber, name == "story points" || name == "story point estimate" || custom.hasSuffix(":jsw-story-points") {
                result.storyPoints.append(id)
            }
            if custom == "com.pyxis.greenhopper.jira:gh-sprint" || (result.sprint == nil && name == "sprint" && schema["type"].string == "array") {
                result.sprint = id
            }
        }
        return result
    }
}
