import Foundation
import PulseETL
import PulseHTTP
import PulseTestSupport
import Synchronization
import Testing

/// The JSON feed connector (`custom` integrations) run by the job worker against a feed on a
/// real socket: invalid items skipped and reported, Retry-After honoured, wrong tokens fail
/// the job in words, a finished checkpoint fetches nothing.
@Suite("ETL JSON feed connector", .serialized, .timeLimit(.minutes(2)))
struct PushFeedConnectorTests {
    final class Feed: Sendable {
        let requests = Mutex<[String]>([])
        let throttledOnce = Atomic<Bool>(false)
        var router: Router {
            var router = Router()
            router.get("/feed") { [self] request in
                let cursor = request.query("cursor") ?? "0"
                requests.withLock { $0.append(cursor) }
                guard request.headers["Authorization"] == "Bearer good" else { return .text("no", status: .unauthorized) }
                if cursor == "1", !throttledOnce.exchange(true, ordering: .sequentiallyConsistent) {
                    var response = HTTPResponse.text("slow down", status: .tooManyRequests)
                    response.headers.add(name: "Retry-After", value: "1")
                    return response
                }
                let body = switch cursor {
                case "0": #"{"items": [{"external_id": "f-1", "title": "one", "started_at": "2026-11-01T10:00:00Z"}, {"external_id": "f-bad", "title": "no start"}], "next_cursor": "1"}"#
                default: #"{"items": [{"external_id": "f-2", "title": "two", "started_at": "2026-11-02T10:00:00Z", "resolved_at": "2026-11-02T12:00:00Z"}], "next_cursor": null}"#
                }
                return .bytes(Array(body.utf8), contentType: "application/json")
            }
            return router
        }
    }

    @Test func feedsAreSyncedWithSkippedItemsAndRateLimitWaitsReported() async throws {
        let h = try await JobTestHarness.make()
        let client = try await h.createClient()
        let feed = Feed()
        try await withLiveHTTPServer(responder: feed.router) { _, port in
            let integration = try await h.createIntegration(clientID: client.id, provider: "custom", baseURL: "http://127.0.0.1:\(port)/feed",
                                                            settings: #"{"kind": "incidents"}"#, credentials: #"{"token": "good"}"#)
            let job = try await h.enqueue(client.id, integration)
            try await h.worker(.standard, owner: "feed", client: client).runAvailable()
            let state = try await h.job(client.id, job)
            #expect(state.status == "succeeded" && state.items == 2 && state.pages == 2)
            let stored = try await h.database.query("SELECT external_id FROM incidents WHERE source = 'push_api' ORDER BY external_id", [],
                                                    clientID: client.id).map { try $0.decode(String.self, at: 0) }
            #expect(stored == ["f-1", "f-2"])
            let progress = try await h.database.query("SELECT progress::text FROM etl_job_runs WHERE id = $1", [job], clientID: client.id)[0]
                .decode(String.self, at: 0)
            let object = try JSONSerialization.jsonObject(with: Data(progress.utf8)) as! [String: Any]
            #expect(object["skipped_items"] as? Int == 1)
            #expect((object["errors"] as? [String])?.first?.contains("f-bad") == true)
            #expect(object["rate_limit_waits"] as? Int == 1)
            #expect(feed.requests.withLock { $0 } == ["0", "1", "1"])

            // Killed after its last page but before its end was recorded: the resumed run fetches nothing.
            let again = try await h.enqueue(client.id, integration)
            try await h.database.query(#"UPDATE etl_job_runs SET checkpoint = '{"done": true}' WHERE id = $1"#, [again], clientID: client.id)
            try await h.worker(.standard, owner: "feed", client: client).runAvailable()
            #expect(try await h.job(client.id, again).status == "succeeded")
            #expect(feed.requests.withLock { $0.count } == 3)

            // A wrong token: failed at once, in words, not retried.
            let wrong = try await h.createIntegration(clientID: client.id, provider: "custom", baseURL: "http://127.0.0.1:\(port)/feed",
                                                      settings: #"{"kind": "incidents"}"#, credentials: #"{"token": "bad"}"#)
            let refused = try await h.enqueue(client.id, wrong)
            try await h.worker(.standard, owner: "feed", client: client).runAvailable()
            let failed = try await h.job(client.id, refused)
            #expect(failed.status == "failed" && failed.attempt == 1)
            #expect(failed.error == "the feed answered 401: check the integration's token")
            // No settings.kind: the job names the setting.
            let unset = try await h.createIntegration(clientID: client.id, provider: "custom", baseURL: "http://127.0.0.1:\(port)/feed")
            let misconfigured = try await h.enqueue(client.id, unset)
            try await h.worker(.standard, owner: "feed", client: client).runAvailable()
            #expect(try await h.job(client.id, misconfigured).error?.hasPrefix("settings.kind:") == true)
        }
        await h.shutdown()
    }
}
