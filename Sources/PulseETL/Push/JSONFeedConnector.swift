import Foundation
import Logging
import PulseHTTP
import PulseHTTPClient

/// The connector of `custom` integrations (F-CUSTOM, pull side): pages through a JSON feed of
/// deployments or incidents that a CI/CD or incident tool serves, and stores its items as the
/// push API does (source `push_api`, upsert on `external_id`).
///
/// - `base_url`: the feed; each page is `GET <base_url>[?&]cursor=<c>` (no cursor for the first)
///   answering `{"items": [...], "next_cursor": "..." | null}`.
/// - `settings`: `{"kind": "deployments" | "incidents"}`.
/// - credentials (optional): `{"token": "..."}`, sent as `Authorization: Bearer`.
///
/// Checkpoint `{"cursor": "<next page>"}` after every page; invalid items are skipped and
/// reported; 429/503 with `Retry-After` wait, 5xx and transport errors are retried three times.
public struct JSONFeedConnector: SyncConnector {
    public let integration: SyncIntegration
    let client: HTTPClient
    let logger: Logger

    public init(integration: SyncIntegration, client: HTTPClient, logger: Logger) {
        self.integration = integration
        self.client = client
        self.logger = logger
    }

    struct Page: Decodable {
        var next_cursor: String?
    }

    public func run(_ context: SyncContext) async throws {
        let settings = (try? JSONSerialization.jsonObject(with: Data(integration.settingsJSON.utf8))) as? [String: Any] ?? [:]
        guard let kindText = settings["kind"] as? String, let kind = PushKind(rawValue: kindText) else {
            throw SyncError("settings.kind: expected \"deployments\" or \"incidents\" for a custom feed integration", retryable: false)
        }
        guard integration.baseURL.hasPrefix("http://") || integration.baseURL.hasPrefix("https://") else {
            throw SyncError("base_url: expected the feed's http(s) URL, got '\(integration.baseURL)'", retryable: false)
        }
        let credentials = (try? JSONSerialization.jsonObject(with: Data(integration.credentialsJSON.utf8))) as? [String: Any] ?? [:]
        let token = credentials["token"] as? String
        let checkpoint = (try? JSONSerialization.jsonObject(with: Data(context.checkpoint.utf8))) as? [String: Any] ?? [:]
        // A run killed after committing the last page but before its end was recorded: nothing is left.
        if checkpoint["done"] as? Bool == true { return }
        var cursor = checkpoint["cursor"] as? String
        context.progress(SyncProgressEvent(.phase("\(kind.rawValue) from \(integration.name)", totalItems: nil)))
        while true {
            let body = try await fetch(cursor: cursor, token: token, context: context)
            let rows: [[String: String]]
            let next: String?
            do {
                rows = try PushPayload.jsonRows(body, key: "items")
                next = try JSONDecoder().decode(Page.self, from: Data(body)).next_cursor
            } catch {
                throw SyncError("the feed answered a page that is not {\"items\": [...], \"next_cursor\": ...}: \(error)", retryable: true)
            }
            var deployments: [PushDeployment] = []
            var incidents: [PushIncident] = []
            for (offset, row) in rows.enumerated() {
                switch kind {
                case .deployments:
                    switch PushValidation.deployment(row, index: offset + 1) {
                    case .valid(let d): deployments.append(d)
                    case .invalid(let errors): context.progress(SyncProgressEvent(.skippedItem(reason: Self.describe(errors, row))))
                    }
                case .incidents:
                    switch PushValidation.incident(row, index: offset + 1) {
                    case .valid(let i): incidents.append(i)
                    case .invalid(let errors): context.progress(SyncProgressEvent(.skippedItem(reason: Self.describe(errors, row))))
                    }
                }
            }
            let checkpoint = next.map { #"{"cursor":\#(Self.jsonString($0))}"# } ?? #"{"done":true}"#
            let clientID = integration.clientID, integrationID = integration.id
            try await context.commitPage(checkpoint: checkpoint, items: deployments.count + incidents.count) { [deployments, incidents] tx in
                _ = try await PushWriter.write(deployments, clientID: clientID, integrationID: integrationID, in: tx)
                _ = try await PushWriter.write(incidents, clientID: clientID, in: tx)
            }
            guard let next else { return }
            cursor = next
        }
    }

    func fetch(cursor: String?, token: String?, context: SyncContext) async throws -> [UInt8] {
        var url = integration.baseURL
        if let cursor {
            let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor
            url += (url.contains("?") ? "&" : "?") + "cursor=" + encoded
        }
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPClientResponse
            do {
                response = try await client.execute(HTTPClientRequest(url: url, headers: headers))
            } catch {
                guard attempt <= 3 else { throw SyncError("the feed cannot be reached: \(error)", retryable: true) }
                context.progress(SyncProgressEvent(.retry(attempt: attempt, reason: "\(error)")))
                try await Task.sleep(for: .milliseconds(200 * (1 << attempt)))
                continue
            }
            switch response.status.code {
            case 200: return response.body
            case 401, 403: throw SyncError("the feed answered \(response.status.code): check the integration's token", retryable: false)
            case 404, 410: throw SyncError("the feed answered \(response.status.code) for \(url): check base_url", retryable: false)
            case 429, 503 where response.headers["Retry-After"] != nil:
                let seconds = min(300, Double(response.headers["Retry-After"] ?? "1") ?? 1)
                context.progress(SyncProgressEvent(.rateLimitWait(seconds: seconds, reason: "the feed answered \(response.status.code) with Retry-After")))
                try await Task.sleep(for: .seconds(seconds))
                attempt -= 1
            case 500...599:
                guard attempt <= 3 else { throw SyncError("the feed answered \(response.status.code) \(attempt) times", retryable: true) }
                context.progress(SyncProgressEvent(.retry(attempt: attempt, reason: "the feed answered \(response.status.code)")))
                try await Task.sleep(for: .milliseconds(200 * (1 << attempt)))
            default:
                throw SyncError("the feed answered \(response.status.code) for \(url)", retryable: false)
            }
        }
    }

    static func describe(_ errors: [PushFieldError], _ row: [String: String]) -> String {
        "item \(row["external_id"].map { "'\($0.prefix(60))'" } ?? "without external_id"): "
            + errors.map { "\($0.field) \($0.message)" }.joined(separator: "; ")
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
