import Foundation
import PulseETL
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService
import PulseTestSupport
import Synchronization
import Testing

/// Real `pulse-etl` processes on a cluster of their own (a shared instance takes every
/// client's jobs): `kill -9` mid-sync then a restart resumes from the checkpoint, and a
/// dedicated `CLIENT_NAME` instance beside the shared one each run only their own jobs.
/// The connector is the product's JSON feed connector (`custom` integrations) against a
/// feed served by the test.
@Suite("pulse-etl processes", .serialized, .timeLimit(.minutes(4)))
struct ServiceProcessTests {
    static let buildDirectory: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        let dir = (exe as NSString).deletingLastPathComponent
        if FileManager.default.isExecutableFile(atPath: dir + "/pulse-etl") { return dir }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/.build/debug"
    }()
    static let sha = String(repeating: "cd", count: 20)

    /// A paged deployments feed: `pages` pages of `perPage`, each answered after `delay`.
    final class Feed: Sendable {
        let pages: Int, perPage: Int, delay: Duration
        let requests = Mutex<[(cursor: String?, token: String?)]>([])
        init(pages: Int, perPage: Int, delay: Duration) {
            self.pages = pages
            self.perPage = perPage
            self.delay = delay
        }
        func router(prefix: String) -> Router {
            var router = Router()
            router.get("/feed/:name") { [self] request in
                let cursor = request.query("cursor")
                requests.withLock { $0.append((cursor, request.headers["Authorization"])) }
                try await Task.sleep(for: delay)
                let page = cursor.flatMap(Int.init) ?? 0
                let name = request.pathParameters["name"] ?? "x"
                let items = (0..<perPage).map { i in
                    #"{"external_id":"\#(name)-\#(page)-\#(i)","repository":"acme/\#(name)","environment":"production","sha":"\#(ServiceProcessTests.sha)","status":"success","created_at":"2026-11-01T10:00:00Z"}"#
                }
                let next = page + 1 < pages ? #""\#(page + 1)""# : "null"
                return .bytes(Array(#"{"items":[\#(items.joined(separator: ","))],"next_cursor":\#(next)}"#.utf8), contentType: "application/json")
            }
            return router
        }
    }

    struct Process {
        let pid: pid_t
        let log: String
    }

    static func start(_ h: JobTestHarness, name: String, environment extra: [String: String]) throws -> Process {
        let log = NSTemporaryDirectory() + "pulse-etl-\(name)-\(UUID().uuidString.prefix(6)).log"
        let config = NSTemporaryDirectory() + "pulse-etl-empty-\(UUID().uuidString.prefix(6)).toml"
        FileManager.default.createFile(atPath: config, contents: Data())
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PULSE_") && $0.key != "CLIENT_NAME" }
        environment["DATABASE_URL"] = h.cluster.connection.primaryURL
        environment["AUTH_URL"] = "http://127.0.0.1:9"  // the processes under test take no API calls
        environment["PULSE_INTEGRATIONS_CREDENTIALS_KEY"] = Hex.encode(JobTestHarness.credentialsKey.bytes)
        environment["ETL_LEASE_SECONDS"] = "2"
        environment["ETL_HEARTBEAT_SECONDS"] = "0.5"
        environment["ETL_POLL_SECONDS"] = "0.2"
        environment["PULSE_LOG_COLOR"] = "never"
        environment.merge(extra) { _, new in new }
        let pid = try ChildProcess.spawn(ChildSpec(name: name, executable: buildDirectory + "/pulse-etl", arguments: ["--port", "0", "--config", config],
                                                   environment: environment, logFile: log))
        return Process(pid: pid, log: log)
    }

    static func stop(_ process: Process) async {
        _ = ChildProcess.send(SIGKILL, to: process.pid)
        for _ in 0..<200 where ChildProcess.reap(process.pid) == nil { try? await Task.sleep(for: .milliseconds(10)) }
    }

    static func waitFor(_ seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    func feedIntegration(_ h: JobTestHarness, client: Int, port: Int, name: String) async throws -> Int {
        try await h.createIntegration(clientID: client, provider: "custom", baseURL: "http://127.0.0.1:\(port)/feed/\(name)",
                                      settings: #"{"kind": "deployments"}"#, credentials: #"{"token": "feed-token"}"#)
    }

    @Test func killedMidSyncThenRestartedResumesWithNoDuplicateAndNoGap() async throws {
        let h = try await JobTestHarness.make(dedicatedCluster: true)
        let client = try await h.createClient()
        let feed = Feed(pages: 12, perPage: 10, delay: .milliseconds(250))
        try await withLiveHTTPServer(responder: feed.router(prefix: "/feed")) { _, feedPort in
            let integration = try await feedIntegration(h, client: client.id, port: feedPort, name: "api")
            let job = try await h.enqueue(client.id, integration)
            let first = try Self.start(h, name: "first", environment: [:])
            try await Self.waitFor(30, "three committed pages") { try await h.job(client.id, job).pages >= 3 }
            await Self.stop(first)  // kill -9
            let atKill = try await h.job(client.id, job)
            #expect(atKill.status == "running" && atKill.pages < 12)
            let requestsBeforeRestart = feed.requests.withLock { $0.count }
            let second = try Self.start(h, name: "second", environment: [:])
            try await Self.waitFor(60, "the job to finish") { try await h.job(client.id, job).status == "succeeded" }
            await Self.stop(second)
            let done = try await h.job(client.id, job)
            #expect(done.items == 120 && done.pages == 12)
            let stored = try await h.database.query(
                "SELECT count(*), count(DISTINCT external_id) FROM deployments WHERE source = 'push_api' AND external_id LIKE 'api-%'", [],
                clientID: client.id)[0]
            #expect(try stored.decode(Int.self, at: 0) == 120 && stored.decode(Int.self, at: 1) == 120)
            let requests = feed.requests.withLock { $0 }
            #expect(requests.filter { $0.cursor == nil }.count == 1)  // the restart did not start over
            // The second process began at the checkpoint (the page after the last committed one).
            let resumedAt = requests[requestsBeforeRestart].cursor.flatMap(Int.init)
            #expect(resumedAt == atKill.pages)
            #expect(requests.allSatisfy { $0.token == "Bearer feed-token" })  // credentials opened with the configured key
        }
        await h.shutdown()
    }

    @Test func aDedicatedInstanceAndTheSharedOneRunOnlyTheirOwnClientsJobs() async throws {
        let h = try await JobTestHarness.make(dedicatedCluster: true)
        let acme = try await h.createClient(), other = try await h.createClient()
        let feed = Feed(pages: 2, perPage: 3, delay: .milliseconds(50))
        try await withLiveHTTPServer(responder: feed.router(prefix: "/feed")) { _, feedPort in
            let dedicated = try Self.start(h, name: "acme", environment: ["CLIENT_NAME": acme.slug])
            let shared = try Self.start(h, name: "shared", environment: [:])
            try await Self.waitFor(30, "the dedicated instance's lease") {
                try await h.database.query("SELECT 1 FROM etl_instances WHERE expires_at > now()", [], clientID: acme.id).count == 1
            }
            var jobs: [(client: Int, job: Int)] = []
            for i in 0..<3 {
                for client in [acme, other] {
                    let integration = try await feedIntegration(h, client: client.id, port: feedPort, name: "c\(client.id)i\(i)")
                    jobs.append((client.id, try await h.enqueue(client.id, integration)))
                }
            }
            try await Self.waitFor(60, "every job to finish") {
                for (client, job) in jobs where try await h.job(client, job).status != "succeeded" { return false }
                return true
            }
            for (client, job) in jobs {
                let progress = try await h.database.query("SELECT progress->>'worker' FROM etl_job_runs WHERE id = $1", [job], clientID: client)
                let worker = try progress[0].decode(String.self, at: 0)
                let expected = client == acme.id ? dedicated.pid : shared.pid
                #expect(worker.split(separator: ":").dropFirst().first == Substring(String(expected)), "job \(job) of client \(client) ran on \(worker)")
            }
            await Self.stop(dedicated)
            await Self.stop(shared)
            let log = (try? String(contentsOfFile: dedicated.log, encoding: .utf8)) ?? ""
            #expect(log.contains("scope=\"client \(acme.id) (\(acme.slug))\""))
        }
        await h.shutdown()
    }

    @Test func anUnknownClientNameStopsTheProcessWithAClearMessage() async throws {
        let h = try await JobTestHarness.make()
        let process = try Self.start(h, name: "unknown", environment: ["CLIENT_NAME": "no-such-client"])
        var exit: ChildExit?
        for _ in 0..<1500 where exit == nil {
            exit = ChildProcess.reap(process.pid)
            if exit == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(exit == .exited(1))
        let log = (try? String(contentsOfFile: process.log, encoding: .utf8)) ?? ""
        #expect(log.contains("CLIENT_NAME=no-such-client: no active client has this slug"))
        await h.shutdown()
    }

    @Test func progressOfAJobRunByAnotherProcessReachesThisProcesssSubscribers() async throws {
        let h = try await JobTestHarness.make(dedicatedCluster: true)
        let client = try await h.createClient()
        let feed = Feed(pages: 5, perPage: 4, delay: .milliseconds(150))
        try await withLiveHTTPServer(responder: feed.router(prefix: "/feed")) { _, feedPort in
            try await ServiceTestHarness.with(database: h) { s in
                let integration = try await feedIntegration(h, client: client.id, port: feedPort, name: "ws")
                let ws = try await s.webSocket("/ws/jobs", token: try s.token(client: client.id, permissions: ["etl:read"]))
                #expect(try await ws.nextJSON()["type"] as? String == "snapshot")
                let queued = try await s.call(.post, "/etl/jobs", token: try s.token(client: client.id, permissions: ["etl:write"]),
                                              body: #"{"integration_id": \#(integration), "mode": "full"}"#)
                let id = try #require(queued.json["id"] as? Int)
                let runner = try Self.start(h, name: "ws-runner", environment: ["CLIENT_NAME": client.slug])
                var events: [String] = [], last: [String: Any] = [:]
                while true {
                    let frame = try await ws.nextJSON(seconds: 30)
                    guard let job = frame["job"] as? [String: Any], job["id"] as? Int == id else { continue }
                    events.append(frame["event"] as? String ?? "")
                    last = job
                    if job["status"] as? String == "succeeded" { break }
                }
                await Self.stop(runner)
                #expect(events.first == "queued")
                #expect(events.filter { $0 == "page" }.count == 5)
                #expect(events.contains("phase"))
                let progress = try #require(last["progress"] as? [String: Any])
                #expect(progress["items_done"] as? Int == 20)
                #expect((progress["worker"] as? String)?.split(separator: ":").dropFirst().first == Substring(String(runner.pid)))
                _ = await ws.close()
            }
        }
        await h.shutdown()
    }
}
