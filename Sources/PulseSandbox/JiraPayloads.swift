/// The Jira Cloud payloads, key for key as Atlassian's OpenAPI examples
/// (`shared/fixtures/jira`): ids as strings of digits (agile ids as numbers), timestamps with
/// millis and the user's offset, descriptions in Atlassian Document Format.
struct SandboxJiraPayloads {
    static let botAccountID = JiraGenerator.accounts[7].accountID

    /// `http://host`: the site's base URL as the client called it.
    let base: String
    let jira: SandboxJira
    let cache = SandboxPayloadCache()

    func avatars(_ seed: String) -> SandboxJSON {
        ["16x16": "\(base)/avatars/\(seed)?size=16", "24x24": "\(base)/avatars/\(seed)?size=24",
         "32x32": "\(base)/avatars/\(seed)?size=32", "48x48": "\(base)/avatars/\(seed)?size=48"]
    }

    func user(_ a: SandboxAccount?) -> SandboxJSON {
        guard let a else { return .null }
        return cache.value("user:" + a.accountID) { makeUser(a) }
    }

    private func makeUser(_ a: SandboxAccount) -> SandboxJSON {
        [
            "accountId": .string(a.accountID), "active": true, "avatarUrls": avatars(a.accountID), "displayName": .string(a.displayName),
            "emailAddress": .string(a.email), "self": "\(base)/rest/api/3/user?accountId=\(a.accountID)", "timeZone": .string(jira.timeZone),
        ]
    }

    func myself() -> SandboxJSON {
        let a = JiraGenerator.accounts[7]
        return [
            "accountId": .string(a.accountID), "accountType": "atlassian", "active": true,
            "applicationRoles": ["items": [], "size": 1], "avatarUrls": avatars(a.accountID), "displayName": .string(a.displayName),
            "emailAddress": .string(a.email), "groups": ["items": [], "size": 2], "key": "", "name": "",
            "self": "\(base)/rest/api/3/user?accountId=\(a.accountID)", "timeZone": .string(jira.timeZone),
        ]
    }

    func serverInfo(now: Int64) -> SandboxJSON {
        [
            "baseUrl": .string(base), "buildDate": .string(SandboxTime.jira(1_764_547_200)), "buildNumber": 100_287,
            "defaultLocale": ["locale": "en_US"], "displayUrl": .string(base), "displayUrlConfluence": .string(base + "/wiki"),
            "displayUrlServicedeskHelpCenter": .string(base + "/servicedesk"), "scmInfo": "5d0a6a0f3b8a1c2e9f7d4b6a8c0e2f4a6b8d0c1e",
            "serverTime": .string(SandboxTime.jira(now)), "serverTimeZone": .string(jira.timeZone), "serverTitle": "Acme Pay (sandbox)",
            "version": "1001.0.0-SNAPSHOT", "versionNumbers": [1001, 0, 0],
        ]
    }

    func project(_ p: SandboxJiraProject) -> SandboxJSON {
        let issues = jira.issues.filter { $0.projectKey == p.key }
        return [
            "avatarUrls": avatars("project-\(p.id)"), "id": .string(p.id),
            "insight": ["lastIssueUpdateTime": .string(SandboxTime.jira(issues.map(\.updated).max() ?? 0)), "totalIssueCount": .number(issues.count)],
            "key": .string(p.key), "name": .string(p.name),
            "projectCategory": ["description": "Product teams", "id": "10000", "name": "PRODUCT", "self": "\(base)/rest/api/3/projectCategory/10000"],
            "self": "\(base)/rest/api/3/project/\(p.id)", "simplified": false, "style": "classic",
        ]
    }

    func projectReference(_ key: String) -> SandboxJSON {
        cache.value("project:" + key) { makeProjectReference(key) }
    }

    private func makeProjectReference(_ key: String) -> SandboxJSON {
        let p = jira.projects.first { $0.key == key }!
        return ["self": "\(base)/rest/api/3/project/\(p.id)", "id": .string(p.id), "key": .string(p.key), "name": .string(p.name),
                "projectTypeKey": "software", "simplified": false, "avatarUrls": avatars("project-\(p.id)")]
    }

    func issueType(_ t: SandboxIssueType) -> SandboxJSON {
        cache.value("type:" + t.id) { makeIssueType(t) }
    }

    private func makeIssueType(_ t: SandboxIssueType) -> SandboxJSON {
        ["avatarId": .number(10_300 + (Int(t.id) ?? 0) % 100), "description": .string(t.description), "hierarchyLevel": .number(t.hierarchyLevel),
         "iconUrl": "\(base)/rest/api/2/universal_avatar/view/type/issuetype/avatar/\(t.id)?size=medium", "id": .string(t.id),
         "name": .string(t.name), "self": "\(base)/rest/api/3/issuetype/\(t.id)", "subtask": .bool(t.subtask)]
    }

    func statusCategory(_ s: SandboxStatus) -> SandboxJSON {
        ["colorName": .string(s.categoryColor), "id": .int(s.categoryID), "key": .string(s.categoryKey), "name": .string(s.categoryName),
         "self": "\(base)/rest/api/3/statuscategory/\(s.categoryID)"]
    }

    func statusCategories() -> SandboxJSON {
        let keys = ["undefined", "new", "indeterminate", "done"]
        return .array(keys.map { k in statusCategory(SandboxStatus(id: "", name: "", categoryKey: k)) })
    }

    func status(_ s: SandboxStatus) -> SandboxJSON {
        cache.value("status:" + s.id) { makeStatus(s) }
    }

    private func makeStatus(_ s: SandboxStatus) -> SandboxJSON {
        ["description": .string("Work is \(s.name.lowercased())."), "iconUrl": "\(base)/images/icons/statuses/generic.png",
         "id": .string(s.id), "name": .string(s.name), "self": "\(base)/rest/api/3/status/\(s.id)", "statusCategory": statusCategory(s)]
    }

    func statusSearchItem(_ s: SandboxStatus) -> SandboxJSON {
        ["description": .string("Work is \(s.name.lowercased())."), "id": .string(s.id), "name": .string(s.name),
         "scope": ["type": "GLOBAL"],
         "statusCategory": .string(["new": "TODO", "indeterminate": "IN_PROGRESS", "done": "DONE"][s.categoryKey]!)]
    }

    func fields() -> SandboxJSON {
        func system(_ id: String, _ name: String, _ type: String, key: Bool = true) -> SandboxJSON {
            var f: [(String, SandboxJSON)] = [("clauseNames", [.string(id)]), ("custom", false), ("id", .string(id))]
            if key { f.append(("key", .string(id))) }
            f += [("name", .string(name)), ("navigable", true), ("orderable", true), ("schema", ["system": .string(id), "type": .string(type)]),
                  ("searchable", true)]
            return .object(f)
        }
        func custom(_ id: String, _ name: String, _ type: String, _ plugin: String) -> SandboxJSON {
            let number = Int64(id.dropFirst("customfield_".count)) ?? 0
            return ["clauseNames": [.string("cf[\(number)]"), .string(name)], "custom": true, "id": .string(id), "key": .string(id),
                    "name": .string(name), "navigable": true, "orderable": true,
                    "schema": ["custom": .string("com.atlassian.jira.plugin.system.customfieldtypes:\(plugin)"), "customId": .int(number), "type": .string(type)],
                    "searchable": true, "untranslatedName": .string(name)]
        }
        return [
            system("description", "Description", "string", key: false), system("summary", "Summary", "string"),
            system("status", "Status", "status"), system("issuetype", "Issue Type", "issuetype"), system("project", "Project", "project"),
            system("created", "Created", "datetime"), system("updated", "Updated", "datetime"), system("resolutiondate", "Resolved", "datetime"),
            system("resolution", "Resolution", "resolution"), system("priority", "Priority", "priority"), system("labels", "Labels", "array"),
            system("assignee", "Assignee", "user"), system("reporter", "Reporter", "user"), system("parent", "Parent", "issuelink"),
            system("statuscategorychangedate", "Status Category Changed", "datetime"),
            custom("customfield_10016", "Story Points", "number", "float"),
            custom("customfield_10026", "Story point estimate", "number", "jsw-story-points"),
            custom("customfield_10020", "Sprint", "array", "gh-sprint"),
            custom("customfield_10050", "Incident repository", "string", "textfield"),
            custom("customfield_10051", "Incident deployment", "string", "url"),
        ]
    }

    /// Plain text as an ADF document; URLs become link marks.
    func document(_ text: String?) -> SandboxJSON {
        guard let text else { return .null }
        var content: [SandboxJSON] = []
        var words: [String] = []
        func flush() { if !words.isEmpty { content.append(["type": "text", "text": .string(words.joined(separator: " ") + " ")]); words = [] } }
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            if word.hasPrefix("https://") {
                flush()
                content.append(["type": "text", "text": .string(word), "marks": [["type": "link", "attrs": ["href": .string(word)]]]])
                content.append(["type": "text", "text": " "])
            } else {
                words.append(word)
            }
        }
        flush()
        return ["type": "doc", "version": 1, "content": [["type": "paragraph", "content": .array(content)]]]
    }

    func sprint(_ s: SandboxSprint, forIssue: Bool = false) -> SandboxJSON {
        var f: [(String, SandboxJSON)] = [("id", .number(s.id))]
        if !forIssue { f.append(("self", .string("\(base)/rest/agile/1.0/sprint/\(s.id)"))) }
        f += [("state", .string(s.state)), ("name", .string(s.name))]
        if let start = s.start { f.append(("startDate", .string(SandboxTime.agile(start)))) }
        if let end = s.end { f.append(("endDate", .string(SandboxTime.agile(end)))) }
        if let complete = s.complete { f.append(("completeDate", .string(SandboxTime.agile(complete)))) }
        f.append((forIssue ? "boardId" : "originBoardId", .number(s.boardID)))
        f.append(("goal", .string(s.goal)))
        return .object(f)
    }

    func board(_ b: SandboxBoard) -> SandboxJSON {
        ["id": .number(b.id), "self": "\(base)/rest/agile/1.0/board/\(b.id)", "name": .string(b.name), "type": .string(b.type)]
    }

    /// Every field of an issue, in Jira's names (`fields` of the issue bean).
    func allFields(_ i: SandboxIssue) -> [(String, SandboxJSON)] {
        let status = jira.status(i.statusID)
        let type = jira.issueType(named: i.typeName)
        let priorities = ["Highest": "1", "High": "2", "Medium": "3", "Low": "4"]
        var parent: SandboxJSON = .null
        if let key = i.parentKey, let p = jira.issue(key) {
            parent = ["id": .string(String(p.id)), "key": .string(p.key), "self": "\(base)/rest/api/3/issue/\(p.id)",
                      "fields": ["summary": .string(p.summary), "status": self.status(jira.status(p.statusID)),
                                 "issuetype": issueType(jira.issueType(named: p.typeName))]]
        }
        let sprints = i.sprintIDs.compactMap { id in jira.sprints.first { $0.id == id } }
        return [
            ("summary", .string(i.summary)), ("status", self.status(status)), ("issuetype", issueType(type)),
            ("project", projectReference(i.projectKey)), ("created", .string(SandboxTime.jira(i.created, millis: Int(i.id % 1000)))),
            ("updated", .string(SandboxTime.jira(i.updated, millis: Int(i.id % 997)))),
            ("resolutiondate", .optional(i.resolutionDate.map { SandboxTime.jira($0) })),
            ("resolution", i.resolutionDate == nil ? .null : ["self": "\(base)/rest/api/3/resolution/10000", "id": "10000",
                                                              "description": "Work has been completed on this issue.", "name": "Done"]),
            ("priority", ["self": "\(base)/rest/api/3/priority/\(priorities[i.priority] ?? "3")", "iconUrl": "\(base)/images/icons/priorities/\(i.priority.lowercased()).svg",
                          "name": .string(i.priority), "id": .string(priorities[i.priority] ?? "3")]),
            ("labels", .array(i.labels.map(SandboxJSON.string))), ("assignee", user(i.assignee)), ("reporter", user(i.reporter)),
            ("description", document(i.description)), ("parent", parent),
            ("statuscategorychangedate", .string(SandboxTime.jira(i.statusCategoryChanged))),
            ("customfield_10016", i.storyPoints.map { .number($0) } ?? .null), ("customfield_10026", .null),
            ("customfield_10020", sprints.isEmpty ? .null : .array(sprints.map { sprint($0, forIssue: true) })),
            ("customfield_10050", .optional(i.repository)), ("customfield_10051", .optional(i.deployment)),
        ]
    }

    func history(_ h: SandboxHistory, createdAsNumber: Bool = false) -> SandboxJSON {
        ["author": user(h.author), "created": createdAsNumber ? .int(h.created) : .string(SandboxTime.jira(h.created, millis: Int(h.id % 1000))),
         "id": .string(String(h.id)),
         "items": .array(h.items.map { item in
             ["field": .string(item.field), "fieldtype": .string(item.fieldtype), "fieldId": .string(item.fieldID), "from": .optional(item.from),
              "fromString": .optional(item.fromString), "to": .optional(item.to), "toString": .optional(item.toString)]
         })]
    }

    /// The issue bean. `fields` nil = every field; `changelog` embeds the most recent histories
    /// (newest first, at most 100) as a `PageOfChangelogs`.
    func issue(_ i: SandboxIssue, fields wanted: Set<String>?, changelog: Bool, names: Bool = false, agile: Bool = false) -> SandboxJSON {
        let selfURL = agile ? "\(base)/rest/agile/1.0/issue/\(i.id)" : "\(base)/rest/api/3/issue/\(i.id)"
        let all = allFields(i)
        let chosen = wanted.map { w in all.filter { w.contains($0.0) } } ?? all
        var out: [(String, SandboxJSON)] = [("expand", "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations")]
        out += [("fields", .object(chosen)), ("id", .string(String(i.id))), ("key", .string(i.key)), ("self", .string(selfURL))]
        if changelog {
            let recent = i.histories.suffix(100).reversed().map { history($0) }
            out.append(("changelog", ["startAt": 0, "maxResults": .number(recent.count), "total": .number(i.histories.count),
                                      "histories": .array(Array(recent))]))
        }
        if names {
            let allNames = (SandboxJiraPayloads(base: base, jira: jira).fields().arrayValue ?? []).compactMap { f -> (String, SandboxJSON)? in
                guard let id = f["id"]?.stringValue, let name = f["name"] else { return nil }
                return chosen.contains { $0.0 == id } ? (id, name) : nil
            }
            out.append(("names", .object(allNames)))
        }
        return .object(out)
    }
}
