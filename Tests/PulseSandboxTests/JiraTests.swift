import Foundation
import PulseHTTP
import PulseSandbox
import Testing

/// The Jira half: payload shapes, the new search's token paging and JQL, changelogs, agile,
/// auth, the retired search.
@Suite struct JiraTests {
    static let cases: [(path: String, fixture: String, ignoring: Set<String>)] = [
        ("/rest/api/3/myself", "jira/GET_rest_api_3_myself.json", []),
        ("/rest/api/3/serverInfo", "jira/GET_rest_api_3_serverInfo.json", []),
        ("/rest/api/3/project/search?maxResults=1", "jira/GET_rest_api_3_project_search.json", []),
        ("/rest/api/3/issuetype", "jira/GET_rest_api_3_issuetype.json", []),
        ("/rest/api/3/status", "jira/GET_rest_api_3_status.json", []),
        ("/rest/api/3/statuscategory", "jira/GET_rest_api_3_statuscategory.json", []),
        ("/rest/api/3/statuses/search?maxResults=2", "jira/GET_rest_api_3_statuses_search.json", ["project"]),
        ("/rest/api/3/field", "jira/GET_rest_api_3_field.json", []),
        ("/rest/api/3/issue/PAY-14/changelog?maxResults=2&startAt=2", "jira/GET_rest_api_3_issue_ISSUEIDORKEY_changelog.json", []),
        ("/rest/agile/1.0/board?maxResults=1", "jira/agile/GET_rest_agile_1.0_board.json", []),
        ("/rest/agile/1.0/board/1/sprint?maxResults=2", "jira/agile/GET_rest_agile_1.0_board_BOARDID_sprint.json", []),
    ]

    @Test func payloadsHaveTheFixturesKeysAndTypes() async throws {
        try await withSandbox { server, client in
            for (path, fixturePath, ignoring) in Self.cases {
                let response = try await client.jira(path)
                #expect(response.status.code == 200, "\(path)")
                let ours = try #require(SandboxJSON.parse(response.body), "\(path)")
                let problems = Shape.differences(ours, try Fixtures.load(fixturePath), ignoring: ignoring)
                #expect(problems.isEmpty, "\(path): \(problems.prefix(10))")
            }
            // Issue beans: the envelope of the search fixture; nested objects as their own endpoints'.
            let search = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/search/jql?jql=project%3DPAY&fields=*all&maxResults=5").body))
            let fixture = try Fixtures.load("jira/GET_rest_api_3_search_jql.json")
            let issue = try #require(search["issues"]?.arrayValue?.first)
            #expect(Set(issue.objectValue!.map(\.0)) == Set(fixture["issues"]!.arrayValue![0].objectValue!.map(\.0)))
            let status = try Fixtures.load("jira/GET_rest_api_3_status.json").arrayValue![0]
            #expect(Shape.differences(issue["fields"]!["status"]!, status).isEmpty)
            let type = try Fixtures.load("jira/GET_rest_api_3_issuetype.json").arrayValue![0]
            #expect(Shape.differences(issue["fields"]!["issuetype"]!, type).isEmpty)
            let changelog = try Fixtures.load("jira/GET_rest_api_3_issue_ISSUEIDORKEY_changelog.json")["values"]!
            let withLog = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/issue/PAY-17?expand=changelog").body))
            #expect(Shape.differences(withLog["changelog"]!["histories"]!, changelog).isEmpty)
            let bulk = try await client.jiraPost("/rest/api/3/changelog/bulkfetch", body: #"{"issueIdsOrKeys":["PAY-14"],"maxResults":2}"#)
            let bulkFixture = try Fixtures.load("jira/POST_rest_api_3_changelog_bulkfetch.json")
            #expect(Shape.differences(try #require(SandboxJSON.parse(bulk.body)), bulkFixture, ignoring: ["from", "to"]).isEmpty)
            let sprintIssues = try #require(SandboxJSON.parse(try await client.jira("/rest/agile/1.0/sprint/1001/issue").body))
            let agileFixture = try Fixtures.load("jira/agile/GET_rest_agile_1.0_board_BOARDID_sprint_SPRINTID_issue.json")
            #expect(Set(sprintIssues.objectValue!.map(\.0)) == Set(agileFixture.objectValue!.map(\.0)))
            _ = server
        }
    }

    @Test func searchPagesByTokenToTheEndWithoutTotal() async throws {
        try await withSandbox { server, client in
            let jira = server.organisation.jira
            var token: String? = nil
            var ids: [String] = []
            var pages = 0
            repeat {
                var body = #"{"jql":"project in (PAY, WEB) ORDER BY updated ASC, key ASC","maxResults":7,"fields":["summary","updated","status"]"#
                if let token { body += #","nextPageToken":"\#(token)""# }
                let page = try #require(SandboxJSON.parse(try await client.jiraPost("/rest/api/3/search/jql", body: body + "}").body))
                #expect(page["total"] == nil)
                ids += page["issues"]!.arrayValue!.compactMap { $0["id"]?.stringValue }
                token = page["nextPageToken"]?.stringValue
                #expect(page["isLast"]?.boolValue == (token == nil))
                pages += 1
            } while token != nil && pages < 100
            let expected = jira.issues.sorted { ($0.updated, $0.projectKey, $0.id) < ($1.updated, $1.projectKey, $1.id) }.map { String($0.id) }
            #expect(ids == expected)
            // Default fields: the id only.
            let bare = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/search/jql?jql=project%20%3D%20PAY&maxResults=3").body))
            #expect(bare["issues"]?.arrayValue?.first?.objectValue?.map(\.0) == ["id"])
            #expect(try await client.jira("/rest/api/3/search/jql?jql=project%3DPAY&nextPageToken=forged").status.code == 400)
        }
    }

    @Test func updatedIsReadInTheUsersTimeZone() async throws {
        try await withSandbox { server, client in
            let myself = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/myself").body))
            #expect(myself["timeZone"]?.stringValue == "Europe/Berlin")
            let issues = server.organisation.jira.issues
            let pivot = issues.map(\.updated).sorted()[issues.count / 2] / 60 * 60
            // The same instant written as Berlin wall-clock time.
            let local = SandboxTime.jira(pivot)  // 2026-03-04T10:11:00.000+0100
            let literal = local.prefix(16).replacingOccurrences(of: "-", with: "/").replacingOccurrences(of: "T", with: " ")
            let jql = "project in (PAY,WEB) AND updated >= \"\(literal)\" ORDER BY updated ASC, key ASC"
            let url = "/rest/api/3/search/jql?maxResults=5000&jql=" + jql.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let page = try #require(SandboxJSON.parse(try await client.jira(url).body))
            #expect(page["issues"]?.arrayValue?.count == issues.filter { $0.updated / 60 * 60 >= pivot }.count)
            let unbounded = try await client.jira("/rest/api/3/search/jql?jql=ORDER%20BY%20updated")
            #expect(unbounded.status.code == 400)
            #expect(SandboxJSON.parse(unbounded.body)?["errorMessages"]?.arrayValue?.first?.stringValue?.contains("Unbounded") == true)
        }
    }

    @Test func longChangelogsAreTruncatedWhenEmbeddedAndPagedOldestFirst() async throws {
        try await withSandbox { server, client in
            let issue = try #require(server.organisation.jira.issues.first { $0.histories.count > 100 })
            let bean = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/issue/\(issue.key)?expand=changelog").body))
            let embedded = bean["changelog"]!
            #expect(embedded["total"]?.intValue == Int64(issue.histories.count))
            #expect(embedded["maxResults"]!.intValue! < embedded["total"]!.intValue!)
            #expect(embedded["histories"]?.arrayValue?.first?["id"]?.stringValue == String(issue.histories.last!.id))  // newest first
            var ids: [String] = []
            var startAt = 0
            while true {
                let page = try #require(SandboxJSON.parse(try await client.jira("/rest/api/3/issue/\(issue.key)/changelog?startAt=\(startAt)&maxResults=30").body))
                ids += page["values"]!.arrayValue!.compactMap { $0["id"]?.stringValue }
                if page["isLast"]?.boolValue == true { break }
                #expect(page["nextPage"]?.stringValue?.contains("startAt=\(startAt + 30)") == true)
                startAt += 30
            }
            #expect(ids == issue.histories.map { String($0.id) })
            let bulk = try #require(SandboxJSON.parse(try await client.jiraPost("/rest/api/3/changelog/bulkfetch",
                body: #"{"issueIdsOrKeys":["\#(issue.key)"],"fieldIds":["status"]}"#).body))
            let histories = bulk["issueChangeLogs"]!.arrayValue!.flatMap { $0["changeHistories"]!.arrayValue! }
            #expect(histories.count == issue.histories.filter { $0.items.contains { $0.field == "status" } }.count)
        }
    }

    @Test func authRetiredSearchAndErrors() async throws {
        try await withSandbox { _, client in
            for headers in [[:], ["Authorization": "Basic " + Data("bot@example.com:".utf8).base64EncodedString()], ["Authorization": "Bearer x"]] as [HTTPHeaders] {
                let response = try await client.jira("/rest/api/3/myself", headers: headers)
                #expect(response.status.code == 401)
                #expect(SandboxJSON.parse(response.body)?["errorMessages"]?.arrayValue?.isEmpty == false)
            }
            let retired = try await client.jira("/rest/api/3/search?jql=project%3DPAY")
            #expect(retired.status.code == 410)
            #expect(SandboxJSON.parse(retired.body)?["errors"]?.objectValue?.isEmpty == true)
            #expect(try await client.jira("/rest/api/3/issue/NOPE-1").status.code == 404)
        }
    }

    @Test func theSiteHoldsTheIncidentSituations() {
        let org = SandboxOrganisation(seed: 42, scale: .demo)
        let jira = org.jira
        #expect(jira.projects.map(\.key) == ["PAY", "WEB", "OPS"])
        let incidents = jira.issues.filter { $0.typeName == "Incident" }
        let deployments = org.repositories.flatMap { r in r.deployments.map { (r, $0) } }
        #expect(incidents.contains { $0.deployment?.hasPrefix("https://") == true })
        #expect(incidents.contains { i in i.deployment.map { d in deployments.contains { String($0.1.id) == d } } ?? false })
        #expect(incidents.contains { $0.summary.range(of: #"acme-pay/[a-z-]+#\d+"#, options: .regularExpression) != nil })
        #expect(incidents.contains { $0.description?.contains("/pull/") == true })
        #expect(incidents.contains { i in deployments.contains { i.description?.contains($0.1.sha) == true } })
        for hours: Int64 in [47, 50] {
            #expect(incidents.contains { i in
                i.deployment == nil && deployments.contains { $0.1.statuses.last!.state == "success" && i.created - $0.1.statuses.last!.createdAt == hours * 3_600 }
            }, "\(hours) h")
        }
        #expect(incidents.contains { i in
            guard let repo = org.repositories.first(where: { $0.fullName == i.repository }) else { return false }
            return i.created < repo.deployments.map(\.createdAt).min()!
        })
        #expect(incidents.contains { $0.resolutionDate == nil })
        #expect(incidents.contains { $0.histories.contains { $0.items.contains { $0.fromString == "Done" && $0.toString == "Reopened" } } })
        #expect(jira.issues.contains { $0.histories.contains { $0.items.contains { $0.fromString == "Done" && $0.toString == "Closed" } } })
        #expect(jira.issues.contains { $0.typeName == "Bug" && $0.summary.contains("acme-pay/") })
        #expect(jira.statuses.contains { $0.name == "Ready for Release" && $0.categoryKey == "done" })
        #expect(Set(jira.issues.map(\.typeName)) == ["Story", "Task", "Bug", "Epic", "Sub-task", "Incident"])
        #expect(jira.issues.contains { $0.storyPoints != nil })
        #expect(jira.sprints.contains { $0.state == "active" } && jira.sprints.contains { $0.state == "future" && $0.start == nil })
        #expect(jira.issues.allSatisfy { $0.updated < org.reference && $0.histories.allSatisfy { $0.created < org.reference } })
    }

    @Test func timestampsAreJirasWithBerlinOffsets() {
        #expect(SandboxTime.jira(1_768_652_040) == "2026-01-17T13:14:00.000+0100")  // 12:14 UTC, winter
        #expect(SandboxTime.jira(1_784_290_440) == "2026-07-17T14:14:00.000+0200")  // 12:14 UTC, summer
        #expect(SandboxTime.agile(1_768_652_040) == "2026-01-17T13:14:00.000+01:00")
        #expect(SandboxTime.parseISO("2026-01-17T13:14:00.000+0100") == 1_768_652_040)
        #expect(SandboxTime.fromBerlin(year: 2026, month: 7, day: 17, hour: 14, minute: 14) == 1_784_290_440)
        #expect(SandboxTime.github(1_768_652_040) == "2026-01-17T12:14:00Z")
    }
}
