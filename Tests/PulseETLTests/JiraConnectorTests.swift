import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import PulsePostgres
import PulseTestSupport
@testable import PulseETL
import Testing

/// The Jira connector end to end: the fake site on a real socket, real PostgreSQL.
@Suite(.serialized) struct JiraConnectorTests {
    @Test func aFullSyncStoresEveryRawFactOfTheSite() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            try await job.sync(.full, site: site, client: try HTTPClient(), pageSize: 10)
            #expect(try await job.count("projects") == 2)  // OPS is served but not configured
            #expect(try await job.count("statuses") == 5)
            #expect(try await job.count("wits") == 7)
            #expect(try await job.count("work_items") == 46)
            let transitions = site.state.withLock { $0.issues.reduce(0) { $0 + $1.histories.count } }
            #expect(try await job.count("changelogs") == transitions)
            #expect(try await job.count("sprints") == 6)  // 3 per scrum board; kanban boards have none
            #expect(try await job.count("status_mappings") == 5)
            #expect(try await job.count("wits_mappings") == 7)

            let scope = database.client(job.clientID)
            let item = try await scope.read { tx in
                try await tx.query("""
                    SELECT key, summary, description, wit_name, status_name, status_category, story_points, labels, components,
                           fields->>'customfield_10050', fields ? 'customfield_99999', sprint, source_created_at, resolved_at IS NOT NULL,
                           (SELECT count(*)::int FROM sprint_work_items sw WHERE sw.work_item_id = w.id)
                    FROM work_items w WHERE key = 'PAY-3'
                    """)[0]
            }
            #expect(try item.decode(String.self, at: 1) == "Ünïcode summary PAY 3 — ✓")
            #expect(try item.decode(String.self, at: 2) == "Details of PAY-3")
            #expect(try item.decode(String.self, at: 3) == "Incident")
            #expect(try item.decode(String.self, at: 4) == "Done")
            #expect(try item.decode(String.self, at: 5) == "done")
            #expect(try item.decode(Double?.self, at: 6) == nil)
            #expect(try item.decode([String].self, at: 7) == [])
            #expect(try item.decode([String].self, at: 8) == ["payments"])
            #expect(try item.decode(String?.self, at: 9) == "acme-pay/api")
            #expect(try item.decode(Bool.self, at: 10) == false)
            #expect(try item.decode(String?.self, at: 11) == "Sprint 2")  // the active one of its two sprints
            let created = site.state.withLock { $0.issues.first { $0.key == "PAY-3" }!.created }
            #expect(try item.decode(Date.self, at: 12) == created)
            #expect(try item.decode(Bool.self, at: 13))
            #expect(try item.decode(Int.self, at: 14) == 2)
            let labelled = try await scope.read { tx in
                try await tx.query("SELECT labels, story_points FROM work_items WHERE key = 'PAY-4'")[0]
            }
            #expect(try labelled.decode([String].self, at: 0) == ["hotfix", "backend"])
            #expect(try labelled.decode(Double?.self, at: 1) == 4)

            // Every status change, with names and ids, in UTC; PAY-5 has 5, the search embeds only 3.
            let changes = try await scope.read { tx in
                try await tx.query("""
                    SELECT from_value, to_value, from_id, to_id, changed_at FROM changelogs c JOIN work_items w ON w.id = c.work_item_id
                    WHERE w.key = 'PAY-5' ORDER BY changed_at
                    """)
            }
            #expect(changes.count == 5)
            #expect(try changes[0].decode(String?.self, at: 0) == "To Do" && changes[0].decode(String?.self, at: 3) == "3")
            #expect(try changes[4].decode(String?.self, at: 1) == "Closed")
            // Truncated changelogs completed in bulk (token pages of 7 histories), not per issue.
            let bulk = site.requests.filter { $0.path == "/rest/api/3/changelog/bulkfetch" }
            #expect(bulk.count > 5 && !site.requests.contains { $0.path.hasSuffix("/changelog") && $0.path.hasPrefix("/rest/api/3/issue/") })
            #expect(bulk.allSatisfy { !$0.body.contains("\"10003\"") })  // 3 histories: the embedded changelog is complete

            // Search requests: bounded per project, explicit fields incl. the configured ones, changelog expanded.
            let search = try #require(site.requests.first { $0.path == "/rest/api/3/search/jql" })
            let body = try #require(try JSONSerialization.jsonObject(with: Data(search.body.utf8)) as? [String: Any])
            #expect(body["jql"] as? String == #"project = "PAY" ORDER BY updated ASC, key ASC"#)
            let fields = try #require(body["fields"] as? [String])
            for name in ["summary", "status", "customfield_10050", "customfield_10051", "customfield_10016", "customfield_10020"] {
                #expect(fields.contains(name), "\(name)")
            }
            #expect(body["expand"] as? String == "changelog")
            #expect(!site.requests.contains { $0.path == "/rest/api/3/search" })
            #expect(job.events.contains(SyncProgressEvent(.phase("issues of WEB", totalItems: 23))))
        }
    }

    @Test func fullThenIncrementalEqualsACleanFullSync() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let client = try HTTPClient()
            let first = try await JiraSyncHarness(database: database, baseURL: base)
            try await first.sync(.full, site: site, client: client, pageSize: 10)

            // Changes after the first sync: transitions, a new issue, an issue moved to another project (new key, same id).
            let newest = site.state.withLock { s in Dictionary(grouping: s.issues, by: \.project).mapValues { $0.map(\.updated).max()! } }
            let later = newest.values.max()!.addingTimeInterval(3600)
            site.transition("PAY-2", to: 3, at: later)
            site.transition("WEB-7", to: 4, at: later.addingTimeInterval(60))
            site.mutate { s in
                let p2 = s.issues.firstIndex { $0.key == "PAY-2" }!
                s.issues[p2].sprints = [2]  // moved from sprint 1 to sprint 2: the old membership must go
                let i = s.issues.firstIndex { $0.key == "PAY-3" }!
                s.issues[i].key = "WEB-99"
                s.issues[i].project = "WEB"
                s.issues[i].updated = later.addingTimeInterval(120)
                var new = s.issues[0]
                new.id = "20001"
                new.key = "PAY-24"
                new.summary = "New after the first sync"
                new.created = later
                new.updated = later.addingTimeInterval(30)
                new.histories = []
                new.status = 0
                s.issues.append(new)
            }
            let before = site.requests.count
            try await first.sync(.incremental, site: site, client: client, pageSize: 10)
            let incrementalSearches = site.requests[before...].filter { $0.path == "/rest/api/3/search/jql" }
            // Each project bounded by its own watermark minus the overlap, written in Sydney time (the fixture user's zone).
            for (project, watermark) in newest {
                let literal = JiraTime.jqlLiteral(watermark.addingTimeInterval(-300), timeZone: JiraFakeSite.zone)
                #expect(incrementalSearches.contains { $0.body.contains("project = \\\"\(project)\\\" AND updated >= \\\"\(literal)\\\"") }, "\(project)")
            }
            #expect(incrementalSearches.count == 2)  // one small page per project

            let clean = try await JiraSyncHarness(database: database, baseURL: base)
            try await clean.sync(.full, site: site, client: client, pageSize: 10)
            let a = try await first.checksums(), b = try await clean.checksums()
            #expect(a == b)
            #expect(b["work_items"]?.hasPrefix("47:") == true)
            let moved = try await database.client(first.clientID).read { tx in
                try await tx.query("SELECT key FROM work_items WHERE external_id = '10003'")[0].decode(String.self, at: 0)
            }
            #expect(moved == "WEB-99")
        }
    }

    @Test func aFullSyncRemovesIssuesDeletedOrMovedOutButKeepsOnesItHadToSkip() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let client = try HTTPClient()
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            try await job.sync(.full, site: site, client: client, pageSize: 10)
            #expect(try await job.count("work_items") == 46)
            site.mutate { s in
                s.issues.removeAll { $0.key == "PAY-5" || $0.key == "PAY-7" }  // deleted in Jira
                let i = s.issues.firstIndex { $0.key == "WEB-3" }!
                s.issues[i].project = "OPS"  // moved out of the configured projects
                s.issues[i].key = "OPS-1"
                let j = s.issues.firstIndex { $0.key == "PAY-9" }!
                s.issues[j].rawOverride = #"{"id":"10009","key":"PAY-9","fields":{"summary":"broken today","created":"never"}}"#
            }
            try await job.sync(.full, site: site, client: client, pageSize: 10)
            let keys = try await database.client(job.clientID).read { tx in
                try await tx.query("SELECT key FROM work_items").map { try $0.decode(String.self, at: 0) }
            }
            #expect(keys.count == 43)
            #expect(!keys.contains("PAY-5") && !keys.contains("PAY-7") && !keys.contains("WEB-3") && !keys.contains("OPS-1"))
            #expect(keys.contains("PAY-9"))  // unreadable today, still listed by Jira: kept as it was
            #expect(job.skipped.contains { $0.contains("PAY-9") })
            let orphans = try await database.client(job.clientID).read { tx in
                try await tx.query("SELECT count(*)::int FROM changelogs c WHERE NOT EXISTS (SELECT 1 FROM work_items w WHERE w.id = c.work_item_id)")[0].decode(Int.self, at: 0)
            }
            #expect(orphans == 0)
        }
    }

    @Test func aRunKilledMidSyncResumesAtItsCheckpointWithNoDuplicateAndNoGap() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let client = try HTTPClient()
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            // Reference page + 2 issue pages commit; the 4th commit dies before writing.
            job.record.withLock { $0.crashAfterPages = 3 }
            await #expect(throws: JiraSyncHarness.Crash.self) { try await job.sync(.full, site: site, client: client, pageSize: 10) }
            let checkpoint = job.record.withLock { $0.checkpoint }
            #expect(checkpoint.contains("\"next_page_token\":\"tok-20\"") && checkpoint.contains("\"project_index\":0"))
            #expect(try await job.count("work_items") == 20)
            job.record.withLock { $0.crashAfterPages = nil }
            let before = site.requests.count
            try await job.sync(.full, site: site, client: client, pageSize: 10)
            let resumed = site.requests[before...].filter { $0.path == "/rest/api/3/search/jql" }
            #expect(resumed.first?.body.contains("tok-20") == true)  // resumed exactly there, not from the first page

            let clean = try await JiraSyncHarness(database: database, baseURL: base)
            try await clean.sync(.full, site: site, client: client, pageSize: 10)
            #expect(try await job.checksums() == clean.checksums())
        }
    }

    @Test func anIncrementalAfterAFullRunThatDiedBetweenProjectsStillReadsTheUnfinishedProjectWhole() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        // WEB (newer issues) first: its watermark must not become PAY's lower bound.
        let settings = #"{"projects": ["WEB", "PAY"], "incident_repository_field": "customfield_10050"}"#
        try await withJiraSite(site) { base in
            let client = try HTTPClient()
            let job = try await JiraSyncHarness(database: database, baseURL: base, settings: settings)
            job.record.withLock { $0.crashAfterPages = 4 }  // reference + WEB's 3 pages, then dies on PAY's first
            await #expect(throws: JiraSyncHarness.Crash.self) { try await job.sync(.full, site: site, client: client, pageSize: 10) }
            #expect(try await job.count("work_items") == 23)
            job.record.withLock { r in
                r.crashAfterPages = nil
                r.checkpoint = "{}"  // a new job: the failed one's checkpoint is not handed on
            }
            try await job.sync(.incremental, site: site, client: client, pageSize: 10)
            let clean = try await JiraSyncHarness(database: database, baseURL: base, settings: settings)
            try await clean.sync(.full, site: site, client: client, pageSize: 10)
            #expect(try await job.checksums() == clean.checksums())
        }
    }

    @Test func badPayloadsSkipTheItemOrRetryThePageAndNeverHalfWriteIt() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        site.mutate { s in
            let i = s.issues.firstIndex { $0.key == "PAY-6" }!
            s.issues[i].rawOverride = #"{"id":"10006","key":"PAY-6","fields":{"summary":"no dates","created":null,"updated":"garbage"}}"#
            let j = s.issues.firstIndex { $0.key == "PAY-8" }!
            s.issues[j].rawOverride = #"{"id":"10004L","key":"PAY-8","fields":{"summary":"odd but usable","created":"2026-01-01T00:00:00.000+0000","labels":{"a":1},"status":"Done","customfield_10016":"many","priority":{"name":"\#(String(repeating: "P", count: 300))"},"customfield_10020":[{"id":1,"name":"\#(String(repeating: "S", count: 400))","state":"active"}]}}"#
            let k = s.issues.firstIndex { $0.key == "WEB-2" }!
            s.issues[k].rawOverride = #"[1,2,3]"#
        }
        // The first PAY page: an HTML error page, then truncated JSON, then JSON that is not a search page.
        site.script(.init(path: "/search/jql", status: 502, headers: [("Content-Type", "text/html")], body: "<html><title>Bad gateway</title></html>"))
        site.script(.init(path: "/search/jql", status: 200, headers: [], body: #"{"issues":[{"id":"10001","key":"PAY-1","fie"#))
        site.script(.init(path: "/search/jql", status: 200, headers: [], body: #"{"issues":"none","isLast":true}"#))
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            try await job.sync(.full, site: site, client: try HTTPClient(), pageSize: 10)
            #expect(try await job.count("work_items") == 44)  // 46 served, PAY-6 and WEB-2 unusable; PAY-8 stored
            let skipped = job.skipped
            #expect(skipped.contains { $0.contains("PAY-6") && $0.contains("created") })
            #expect(skipped.contains { $0.contains("not a JSON object") })
            let odd = try await database.client(job.clientID).read { tx in
                try await tx.query("SELECT key, summary, labels, status_name, story_points, length(priority), length(sprint) FROM work_items WHERE external_id = '10004L'")
            }
            #expect(odd.count == 1)
            #expect(try odd[0].decode([String].self, at: 2) == [])
            #expect(try odd[0].decode(String?.self, at: 3) == nil)
            #expect(try odd[0].decode(Double?.self, at: 4) == nil)
            #expect(try odd[0].decode(Int.self, at: 5) == 50 && odd[0].decode(Int.self, at: 6) == 255)  // clipped to the columns, not a failed page
            let retries = job.events.compactMap { if case .retry(_, let r) = $0.kind { return r } else { return nil } }
            #expect(retries.contains { $0.contains("Bad gateway") })
            #expect(retries.contains { $0.contains("truncated") })
            #expect(retries.contains { $0.contains("without an issues list") })
        }
    }

    @Test func rateLimitedSearchesWaitForTheResetAndASiteWithoutJiraSoftwareSkipsSprints() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        site.mutate { s in
            s.agile = false
            s.bulk = false
        }
        site.script(.init(path: "/search/jql", status: 429, headers: [("Retry-After", "45")], body: ""))
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            try await job.sync(.full, site: site, client: try HTTPClient(), pageSize: 50)
            #expect(try await job.count("work_items") == 46)
            #expect(try await job.count("sprints") == 0)
            #expect(try await job.count("sprint_work_items") == 0)
            // Without bulkfetch, every truncated changelog is read from /issue/{id}/changelog: all transitions stored.
            let transitions = site.state.withLock { $0.issues.reduce(0) { $0 + $1.histories.count } }
            #expect(try await job.count("changelogs") == transitions)
            #expect(site.requests.contains { $0.path == "/rest/api/3/issue/10005/changelog" })
            #expect(site.requests.filter { $0.path == "/rest/api/3/changelog/bulkfetch" }.count == 1)  // asked once, then remembered
            #expect(job.skipped.contains { $0.contains("no Jira Software") })
            let searches = site.requests.filter { $0.path == "/rest/api/3/search/jql" }.map(\.at)
            #expect(searches[1].timeIntervalSince(searches[0]) >= 45)
            #expect(job.events.contains { if case .rateLimitWait(45, _) = $0.kind { return true } else { return false } })
        }
    }

    @Test func anAdminsMappingWinsOverTheCategoryDefault() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let job = try await JiraSyncHarness(database: database, baseURL: base)
            try await database.client(job.clientID).write { tx in
                try await tx.query("INSERT INTO status_mappings (client_id, status_from, status_to) VALUES ($1, 'In Review', 'done')", [job.clientID])
                try await tx.query("INSERT INTO wits_mappings (client_id, wit_from, wit_to) VALUES ($1, 'Spike', 'story')", [job.clientID])
            }
            try await job.sync(.full, site: site, client: try HTTPClient())
            let rows = try await database.client(job.clientID).read { tx in
                try await tx.query("""
                    SELECT (SELECT string_agg(status_from || '=' || status_to, ',' ORDER BY status_from) FROM status_mappings),
                           (SELECT string_agg(wit_from || '=' || wit_to, ',' ORDER BY wit_from) FROM wits_mappings)
                    """)[0]
            }
            #expect(try rows.decode(String.self, at: 0) == "Closed=done,Done=done,In Progress=in_progress,In Review=done,To Do=to_do")
            #expect(try rows.decode(String.self, at: 1) == "Bug=bug,Epic=epic,Incident=incident,Spike=story,Story=story,Sub-task=task,Task=task")
        }
    }

    @Test func runsThatCannotWorkFailWithWordsAndUnknownProjectsAreReported() async throws {
        let database = try await JiraSyncHarness.database()
        let site = JiraFakeSite(clock: JiraVirtualClock())
        try await withJiraSite(site) { base in
            let client = try HTTPClient()
            let partly = try await JiraSyncHarness(database: database, baseURL: base, settings: #"{"projects": ["PAY", "NOPE"]}"#)
            try await partly.sync(.full, site: site, client: client)
            #expect(try await partly.count("work_items") == 23)
            #expect(partly.skipped.contains("Jira project NOPE not found or not visible to this account"))

            let none = try await JiraSyncHarness(database: database, baseURL: base, settings: #"{"projects": ["NOPE"]}"#)
            await #expect(throws: SyncError("Jira project NOPE not found or not visible to this account", retryable: false)) {
                try await none.sync(.full, site: site, client: client)
            }
            let wrong = try await JiraSyncHarness(database: database, baseURL: base, token: "revoked")
            do {
                try await wrong.sync(.full, site: site, client: client)
                Issue.record("expected a failure")
            } catch let error as SyncError {
                #expect(!error.retryable && error.message.contains("401") && error.message.contains("API token"))
            }
            let insecure = try await JiraSyncHarness(database: database, baseURL: "http://jira.example.com")
            do {
                try await insecure.sync(.full, site: site, client: client)
                Issue.record("expected a refusal")
            } catch let error as SyncError {
                #expect(!error.retryable && error.message.contains("plain http://"))
            }
            #expect(try await wrong.count("work_items") == 0)
            #expect(try await insecure.count("projects") == 0)
        }
    }

    @Test func theConnectionCheckSaysWhatIsWrong() async throws {
        let site = JiraFakeSite(clock: JiraVirtualClock())
        let client = try HTTPClient()
        func integration(_ base: String, token: String = "secret-token", settings: String = #"{"projects":["PAY"]}"#) -> SyncIntegration {
            SyncIntegration(id: 1, clientID: 1, provider: "jira", name: "jira", baseURL: base, settingsJSON: settings,
                            credentialsJSON: #"{"email":"bot@example.com","api_token":"\#(token)"}"#)
        }
        try await withJiraSite(site) { base in
            let ok = await JiraConnector.checkConnection(integration: integration(base), client: client)
            #expect(ok.ok && ok.details["display_name"] == "Mia Krystof" && ok.details["time_zone"] == "Australia/Sydney")
            let wrong = await JiraConnector.checkConnection(integration: integration(base, token: "nope"), client: client)
            #expect(!wrong.ok && wrong.status == 401 && wrong.message.contains("email or API token"))
            // TLS to a server that speaks plain HTTP: the handshake fails and the message says so.
            let tls = await JiraConnector.checkConnection(integration: integration(base.replacingOccurrences(of: "http://", with: "https://")), client: client)
            #expect(!tls.ok && tls.message.contains("TLS"))
        }
        let port = FreePorts.one()
        let down = await JiraConnector.checkConnection(integration: integration("http://127.0.0.1:\(port)"), client: client)
        #expect(!down.ok && down.message.contains("cannot connect") && down.message.contains("unreachable"))
        let insecure = await JiraConnector.checkConnection(integration: integration("http://jira.example.com"), client: client)
        #expect(!insecure.ok && insecure.message.contains("plain http://") && insecure.message.contains("allow_insecure_http"))
        let noCredentials = await JiraConnector.checkConnection(
            integration: SyncIntegration(id: 1, clientID: 1, provider: "jira", name: "j", baseURL: "https://x.atlassian.net", settingsJSON: "{}", credentialsJSON: "{}"),
            client: client)
        #expect(!noCredentials.ok && noCredentials.message.contains("api_token"))
    }
}
