import Foundation
@testable import PulseETL
import Testing

@Suite struct JiraFormatTests {
    static let fixtures = URL(fileURLWithPath: "/work/shared/fixtures/jira")

    @Test func timestampsWithEveryOffsetStyleParseToTheSameInstant() throws {
        let utc = try #require(JiraTime.parse("2021-01-17T12:34:00.000+0000"))
        #expect(utc.timeIntervalSince1970 == 1_610_886_840)
        #expect(JiraTime.parse("2021-01-17T23:34:00.000+1100") == utc)
        #expect(JiraTime.parse("2021-01-17T22:34:00.000+10:00") == utc)
        #expect(JiraTime.parse("2021-01-17T12:34:00Z") == utc)
        #expect(JiraTime.parse("2021-01-17T07:34:00.000-0500") == utc)
        #expect(JiraTime.parse("2021-01-17T12:34:00.250+0000")?.timeIntervalSince1970 == 1_610_886_840.25)
        #expect(JiraTime.parse(JiraValue(.number(1_492_070_429))) == Date(timeIntervalSince1970: 1_492_070_429))
        #expect(JiraTime.parse(JiraValue(.number(1_492_070_429_000))) == Date(timeIntervalSince1970: 1_492_070_429))
        for bad in ["", "yesterday", "2021-13-01T00:00:00Z", "2021-01-17T12:34:00+", "2021-01-17T12:34:00.000+0000 trailing"] {
            #expect(JiraTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func jqlDatesAreWrittenInTheUsersTimeZone() throws {
        let instant = try #require(JiraTime.parse("2026-03-01T13:45:59Z"))
        #expect(JiraTime.jqlLiteral(instant, timeZone: TimeZone(identifier: "UTC")!) == "2026/03/01 13:45")
        #expect(JiraTime.jqlLiteral(instant, timeZone: TimeZone(identifier: "Australia/Sydney")!) == "2026/03/02 00:45")
        #expect(JiraTime.jqlLiteral(instant, timeZone: TimeZone(identifier: "America/Los_Angeles")!) == "2026/03/01 05:45")
    }

    @Test func atlassianDocumentFormatBecomesPlainText() throws {
        let adf = try JiraValue.parse(Array(#"""
            {"type":"doc","version":1,"content":[
              {"type":"paragraph","content":[{"type":"text","text":"Checkout fails for "},{"type":"mention","attrs":{"id":"1","text":"@Mia"}},
                {"type":"text","text":" "},{"type":"emoji","attrs":{"shortName":":fire:","text":"🔥"}}]},
              {"type":"bulletList","content":[{"type":"listItem","content":[{"type":"paragraph","content":[{"type":"text","text":"see acme-pay/api#12"}]}]}]},
              {"type":"codeBlock","content":[{"type":"text","text":"x = 1"}]}]}
            """#.utf8))
        #expect(AtlassianDocument.plainText(adf) == "Checkout fails for @Mia 🔥\nsee acme-pay/api#12\nx = 1")
        #expect(AtlassianDocument.plainText(JiraValue(.string("Main order flow broken"))) == "Main order flow broken")
        #expect(AtlassianDocument.plainText(.absent) == nil)
    }

    @Test func bodiesThatAreNotJSONAreDescribed() {
        #expect(throws: JiraPayloadError.self) { try JiraValue.parse(Array("<html><title>502 Bad Gateway</title></html>".utf8)) }
        #expect(JiraPayloadError(body: Array("<html><head><title>502 Bad Gateway</title>".utf8)).summary.contains("HTML page (\"502 Bad Gateway\")"))
        #expect(JiraPayloadError(body: Array(#"{"issues":[{"id":"1"#.utf8)).summary.contains("truncated"))
        #expect(JiraPayloadError(body: []).summary == "an empty body")
        #expect((try? JiraValue.parse(Array("[1,2]".utf8)))?.array.count == 2)
    }

    @Test func theFixtureSearchPageIssueLacksWhatPulseNeedsAndIsRefusedInWords() throws {
        let page = try JiraValue.parse(Array(try Data(contentsOf: Self.fixtures.appendingPathComponent("GET_rest_api_3_search_jql.json"))))
        let issue = try #require(page["issues"].array.first)
        #expect(throws: JiraItemProblem.self) { try JiraIssueRecord(issue, fields: .init()) }
        do { _ = try JiraIssueRecord(issue, fields: .init()) } catch { #expect(error.description == "issue ED-1 has no summary") }
    }

    @Test func anIssueBeanWithOddIdsWrongTypesAndNullsIsReadDefensively() throws {
        let bean = try JiraValue.parse(Array(#"""
            {"id":"10004L","key":"PAY-7","fields":{"summary":42,"customfield_10051":"dep\u0000loy","created":"2024-05-01T10:00:00.000+1000",
             "updated":"2024-05-02T10:00:00.000+1000","resolutiondate":null,"labels":"not-a-list","components":[{"name":"api"},7],
             "status":{"name":"Done","statusCategory":{"key":"done"}},"issuetype":null,"assignee":{"accountId":"abc"},
             "customfield_10016":"3.5","customfield_10050":"acme-pay/api","description":null,"parent":{"key":"PAY-1"}},
             "changelog":{"startAt":0,"maxResults":2,"total":5,"histories":[
               {"id":"900","created":1714521600,"items":[{"field":"status","fieldId":"status","from":"1","fromString":"To Do","to":"3","toString":"In Progress"}]},
               {"id":null,"created":"2024-05-01T10:00:00.000+1000","items":[{"field":"status"}]}]}}
            """#.utf8))
        let record = try JiraIssueRecord(bean, fields: .init(storyPoints: ["customfield_10016"]))
        #expect(record.externalID == "10004L")
        #expect(record.summary == "42")
        #expect(record.labels == [])
        #expect(record.components == ["api"])
        #expect(record.typeName == nil)
        #expect(record.statusCategory == "done")
        #expect(record.assignee == "abc")
        #expect(record.storyPoints == 3.5)
        #expect(record.parentKey == "PAY-1")
        #expect(record.createdAt == JiraTime.parse("2024-05-01T00:00:00Z"))
        // U+0000 cannot be stored in text or jsonb: dropped instead of failing the page forever.
        #expect(record.customFieldsJSON == #"{"customfield_10016":"3.5","customfield_10050":"acme-pay/api","customfield_10051":"deploy"}"#)
        #expect(record.statusChanges.count == 1)
        #expect(record.statusChanges.first?.toID == "3")
        #expect(record.changelogTruncated)
    }

    @Test func storyPointsAndSprintFieldsAreFoundByNameAndSchema() throws {
        let fields = try JiraValue.parse(Array(#"""
            [{"id":"summary","name":"Summary","schema":{"type":"string"}},
             {"id":"customfield_10002","name":"Story Points","schema":{"type":"number","custom":"com.atlassian.jira.plugin.system.customfieldtypes:float"}},
             {"id":"customfield_10003","name":"Story Points","schema":{"type":"string"}},
             {"id":"customfield_10016","name":"Story point estimate","schema":{"type":"number","custom":"com.pyxis.greenhopper.jira:jsw-story-points"}},
             {"id":"customfield_10020","name":"Sprint","schema":{"type":"array","custom":"com.pyxis.greenhopper.jira:gh-sprint"}}]
            """#.utf8)).array
        let names = JiraReferenceData.discoverFields(fields)
        #expect(names.storyPoints == ["customfield_10002", "customfield_10016"])
        #expect(names.sprint == "customfield_10020")
    }

    @Test func errorCollectionsAndRateLimitHeadersAreRead() throws {
        let body = try Data(contentsOf: Self.fixtures.appendingPathComponent("errors/GET_rest_api_3_field_search.403.json"))
        #expect(JiraAPIClient.words(Array(body)) == "Only Jira administrators can access fields.")
        let now = try #require(JiraTime.parse("2024-05-01T13:40:00Z"))
        #expect(JiraAPIClient.retryAfter(["Retry-After": "17"], now: now) == 17)
        #expect(JiraAPIClient.retryAfter(["X-RateLimit-Reset": "2024-05-01T13:45Z"], now: now) == 300)
        #expect(JiraAPIClient.retryAfter(["Retry-After": "soon"], now: now) == nil)
        let policy = JiraRetryPolicy(baseBackoff: 1, maximumBackoff: 8)
        for attempt in 1...6 {
            let wait = policy.backoff(afterAttempt: attempt)
            let full = min(8, pow(2, Double(attempt - 1)))
            #expect(wait >= full / 2 && wait <= full)
        }
    }

    @Test func aCheckpointFollowsItsProjectWhenTheListChanges() {
        var checkpoint = JiraCheckpoint(text: #"{"since":"2026/01/01 10:00","project_index":1,"project":"WEB","next_page_token":"t"}"#)
        #expect(checkpoint.since == "2026/01/01 10:00" && checkpoint.token == "t")
        checkpoint.realign(to: ["OPS", "PAY", "WEB"])
        #expect(checkpoint.projectIndex == 2 && checkpoint.token == "t")
        checkpoint.realign(to: ["OPS", "PAY"])
        #expect(checkpoint.projectIndex == 0 && checkpoint.token == nil && checkpoint.since == "2026/01/01 10:00")
        #expect(JiraCheckpoint(text: "not json") == JiraCheckpoint())
        #expect(JiraCheckpoint(text: JiraCheckpoint(text: #"{"project_index":3}"#).text).projectIndex == 3)
    }
}
