import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient
import PulseTestSupport
import Testing

@testable import PulseETL

/// The GitHub client's pieces, the vendor's published payloads (shared/fixtures/github,
/// replayed over a real socket) and the connection check.
@Suite(.serialized) struct GitHubAPIClientTests {
    static var fixtures: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("GitHubFixtures") }
    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    @Test func linkHeadersAreFollowedExactlyAsGiven() {
        let header = #"<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", <https://api.github.com/repositories/1300192/issues?page=4&after=Y3Vyc29y%3D,x>; rel="next", <https://api.github.com/repositories/1300192/issues?page=515>; rel="last""#
        #expect(GitHubAPIClient.nextLink(header) == "https://api.github.com/repositories/1300192/issues?page=4&after=Y3Vyc29y%3D,x")
        #expect(GitHubAPIClient.nextLink(#"<https://x/a?page=9>; rel="last""#) == nil)
        #expect(GitHubAPIClient.nextLink(nil) == nil)
        #expect(GitHubAPIClient.nextLink(#"<https://x/a?page=2>; REL=next"#) == "https://x/a?page=2")
    }

    @Test func thePublishedPayloadsDecode() throws {
        let pull = try GitHubPayload.decoder().decode(GitHubPayload.Pull.self, from: Data(try Self.fixture("GET_repos_OWNER_REPO_pulls_PULL_NUMBER.json")))
        let record = try GitHubRecord.Pull.from(pull).get()
        #expect(record.number == 1347 && record.state == "open" && record.mergeCommitSHA == "e5bd3914e2e596debea16f433f57875b5b90bcd6")
        #expect(record.additions == 100 && record.commitsCount == 3)
        let commits = try GitHubPayload.list(GitHubPayload.Commit.self, from: try Self.fixture("GET_repos_OWNER_REPO_commits.json"))
        #expect(try commits.map { try $0.get() }.first?.sha == "6dcb09b5b57875f334f61aebed695e2e4193db5e")
        let runs = try GitHubPayload.decoder().decode(
            GitHubPayload.WorkflowRunsPage.self, from: Data(try Self.fixture("GET_repos_OWNER_REPO_actions_runs.json")))
        #expect(try runs.workflowRuns.first?.result.get().id == 30_433_642)
        for (name, type) in [("GET_repos_OWNER_REPO_deployments.json", "deployment"), ("GET_repos_OWNER_REPO_releases.json", "release"),
                             ("GET_repos_OWNER_REPO_pulls_PULL_NUMBER_reviews.json", "review"),
                             ("GET_repos_OWNER_REPO_deployments_DEPLOYMENT_ID_statuses.json", "status"),
                             ("GET_orgs_ORG_repos.json", "repository"), ("GET_repos_OWNER_REPO_pulls.json", "pull")] {
            let body = try Self.fixture(name)
            #expect(GitHubPayload.validateArray(body) == nil, "\(name)")
            let ok: Bool
            switch type {
            case "deployment": ok = try GitHubPayload.list(GitHubPayload.Deployment.self, from: body).allSatisfy { (try? $0.get()) != nil }
            case "release": ok = try GitHubPayload.list(GitHubPayload.Release.self, from: body).allSatisfy { (try? $0.get()) != nil }
            case "review": ok = try GitHubPayload.list(GitHubPayload.Review.self, from: body).allSatisfy { (try? $0.get()) != nil }
            case "status": ok = try GitHubPayload.list(GitHubPayload.DeploymentStatus.self, from: body).allSatisfy { (try? $0.get()) != nil }
            case "repository": ok = try GitHubPayload.list(GitHubPayload.Repository.self, from: body).allSatisfy { (try? $0.get()) != nil }
            default: ok = try GitHubPayload.list(GitHubPayload.PullListItem.self, from: body).allSatisfy { (try? $0.get()) != nil }
            }
            #expect(ok, "\(name) decodes")
        }
        #expect(GitHubPayload.validateArray(Array("<html><body>502</body></html>".utf8)) == "an HTML page instead of JSON")
        #expect(GitHubPayload.validateArray(Array("[{\"id\": 1".utf8))?.contains("truncated") == true)
        #expect(GitHubPayload.parseDate("2017-07-08T16:18:44-04:00") == Date(timeIntervalSince1970: 1_499_545_124))
        #expect(GitHubPayload.parseDate("2020-01-20T09:42:40.000-08:00") != nil)
    }

    /// The fixtures served at their endpoints: the connector stores what GitHub's own
    /// examples say, through the real client, socket and schema.
    @Test func aSyncOfTheFixturePayloadsStoresThem() async throws {
        let routes: [String: String] = [
            "/repos/octocat/Hello-World/pulls": "GET_repos_OWNER_REPO_pulls.json",
            "/repos/octocat/Hello-World/pulls/1347": "GET_repos_OWNER_REPO_pulls_PULL_NUMBER.json",
            "/repos/octocat/Hello-World/pulls/1347/reviews": "GET_repos_OWNER_REPO_pulls_PULL_NUMBER_reviews.json",
            "/repos/octocat/Hello-World/pulls/1347/commits": "GET_repos_OWNER_REPO_pulls_PULL_NUMBER_commits.json",
            "/repos/octocat/Hello-World/commits": "GET_repos_OWNER_REPO_commits.json",
            "/repos/octocat/Hello-World/commits/6dcb09b5b57875f334f61aebed695e2e4193db5e/pulls": "GET_repos_OWNER_REPO_pulls.json",
            "/repos/octocat/Hello-World/deployments": "GET_repos_OWNER_REPO_deployments.json",
            "/repos/octocat/Hello-World/deployments/1/statuses": "GET_repos_OWNER_REPO_deployments_DEPLOYMENT_ID_statuses.json",
            "/repos/octocat/Hello-World/releases": "GET_repos_OWNER_REPO_releases.json",
            "/repos/octocat/Hello-World/actions/runs": "GET_repos_OWNER_REPO_actions_runs.json",
        ]
        let repository = try JSONSerialization.jsonObject(with: Data(try Self.fixture("GET_orgs_ORG_repos.json"))) as! [Any]
        let repositoryBody = try JSONSerialization.data(withJSONObject: repository[0])
        let bodies = try routes.mapValues { try Self.fixture($0) }
        let responder = ClosureResponder { request in
            if request.path == "/repos/octocat/Hello-World" { return .bytes([UInt8](repositoryBody), contentType: "application/json") }
            if let body = bodies[request.path] { return .bytes(body, contentType: "application/json") }
            return .bytes(Array("[]".utf8), contentType: "application/json")  // e.g. review comments: none in the fixtures
        }
        let database = try await GitHubHarness.database()
        let http = try HTTPClient()
        defer { http.shutdown() }
        try await withLiveHTTPServer(responder: responder) { _, port in
            let (integration, job) = try await GitHubHarness.integration(
                database, baseURL: "http://127.0.0.1:\(port)",
                settings: #"{"organization": "octocat", "repositories": ["octocat/Hello-World"]}"#)
            let recorder = try await GitHubHarness.sync(database, integration, jobID: job, mode: .full, http: http,
                                                        clock: GitHubVirtualClock(Date()))
            #expect(recorder.skipped.isEmpty, "\(recorder.skipped)")
            let rows = try await GitHubHarness.snapshot(database, clientID: integration.clientID)
            #expect(rows["repositories"]?.first?.hasPrefix("(octocat/Hello-World,master,1296269,") == true, "\(rows["repositories"] ?? [])")
            #expect(rows["prs"]?.count == 1 && rows["prs"]?.first?.contains("1347") == true)
            #expect(rows["prs_reviews"]?.count == 1 && rows["prs_reviews"]?.first?.contains("APPROVED") == true)
            #expect(rows["prs_commits"]?.count == 1)
            #expect(rows["commits"]?.count == 1 && rows["commit_parents"]?.count == 1)
            #expect(rows["commit_pull_requests"] == ["(octocat/Hello-World,6dcb09b5b57875f334f61aebed695e2e4193db5e,1347)"])
            #expect(rows["deployments"]?.first?.contains(",success,") == true, "\(rows["deployments"] ?? [])")
            #expect(rows["deployment_statuses"]?.count == 1)
            #expect(rows["releases"]?.first?.contains("v1.0.0") == true)
            #expect(rows["workflow_runs"]?.first?.contains("30433642") == true)
        }
    }

    static func integration(_ base: String, settings: String = #"{"organization": "acme-pay"}"#, token: String = "ghp_x") -> SyncIntegration {
        SyncIntegration(id: 1, clientID: 1, provider: "github", name: "gh", baseURL: base, settingsJSON: settings,
                        credentialsJSON: #"{"token": "\#(token)"}"#)
    }

    @Test func theConnectionCheckSaysWhatIsWrong() async throws {
        let clock = GitHubVirtualClock(GitHubConnectorTests.start)
        let fake = FakeGitHubServer(FakeOrganisation(repositories: 1, pullsPerRepository: 2), clock: clock)
        let http = try HTTPClient(configuration: .init(timeouts: .init(connect: .seconds(2), request: .seconds(5), overall: .seconds(8))))
        defer { http.shutdown() }
        try await withLiveHTTPServer(responder: fake.responder) { _, port in
            let base = "http://127.0.0.1:\(port)"
            let ok = await GitHubConnector.checkConnection(integration: Self.integration(base), client: http)
            #expect(ok.ok, "\(ok.message)")
            #expect(ok.details["login"] == "pulse-bot" && ok.details["rate_limit_remaining"] == "4999")
            #expect(fake.log.first?.target == "/rate_limit")

            let badToken = await GitHubConnector.checkConnection(integration: Self.integration(base, token: "bad-token"), client: http)
            #expect(!badToken.ok && badToken.status == 401 && badToken.message.contains("token"), "\(badToken.message)")

            let badOrg = await GitHubConnector.checkConnection(
                integration: Self.integration(base, settings: #"{"organization": "nope"}"#), client: http)
            #expect(!badOrg.ok && badOrg.status == 404 && badOrg.message.contains("organisation nope"), "\(badOrg.message)")

            let tls = await GitHubConnector.checkConnection(integration: Self.integration("https://127.0.0.1:\(port)"), client: http)
            #expect(!tls.ok && tls.message.contains("TLS"), "\(tls.message)")
        }
        let closed = FreePorts.pair()
        let unreachable = await GitHubConnector.checkConnection(integration: Self.integration("http://127.0.0.1:\(closed)"), client: http)
        #expect(!unreachable.ok && unreachable.message.contains("Cannot reach"), "\(unreachable.message)")

        let insecure = await GitHubConnector.checkConnection(integration: Self.integration("http://github.example.com/api/v3"), client: http)
        #expect(!insecure.ok && insecure.message.contains("allow_insecure_http"), "\(insecure.message)")
        let allowed = await GitHubConnector.checkConnection(
            integration: Self.integration("http://github.invalid/api/v3", settings: #"{"organization": "acme-pay", "allow_insecure_http": true}"#),
            client: http)
        #expect(!allowed.ok && allowed.message.contains("Cannot reach"), "allowed, then the name does not resolve: \(allowed.message)")

        let noOrg = await GitHubConnector.checkConnection(integration: Self.integration("https://api.github.com", settings: "{}"), client: http)
        #expect(!noOrg.ok && noOrg.message.contains("organization"))
    }

    @Test func enterpriseBaseURLsKeepTheirPrefixAndForeignLinksAreRefused() async throws {
        let http = try HTTPClient()
        defer { http.shutdown() }
        let api = try GitHubAPIClient(http: http, baseURL: "https://ghe.example.com/api/v3/", token: "t", logger: Logger(label: "t"))
        #expect(api.url("/orgs/acme/repos") == "https://ghe.example.com/api/v3/orgs/acme/repos")
        await #expect(throws: GitHubAPIError.self) { try await api.get("https://evil.example.com/api/v3/orgs") }
        #expect(throws: GitHubAPIError.self) {
            try GitHubAPIClient(http: http, baseURL: "http://10.0.0.5/api/v3", token: "t", logger: Logger(label: "t"))
        }
    }
}
