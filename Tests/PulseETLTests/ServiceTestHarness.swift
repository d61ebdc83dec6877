import Foundation
import Logging
import PulseETL
import PulseHTTP
import PulseHTTPClient
import PulseSecurity
import PulseService
import PulseTestSupport
import PulseWebSocket

/// pulse-etl's routes on a live server, trusting a real JWKS endpoint whose key signs the
/// tests' tokens (as pulse-auth's would), over the test cluster.
struct ServiceTestHarness {
    static let issuer = "http://auth.etl.test"
    let jobs: JobTestHarness
    let key: Ed25519SigningKey
    let port: Int

    /// Runs `body` with the ETL API served (progress listener on; logs from `logDirectory`).
    /// `database`: a harness of the caller's (not shut down here); default the shared cluster.
    static func with(logDirectory: String? = nil, scope: InstanceScope = .shared, database: JobTestHarness? = nil,
                     _ body: (ServiceTestHarness) async throws -> Void) async throws {
        let jobs: JobTestHarness
        if let database { jobs = database } else { jobs = try await JobTestHarness.make() }
        let key = Ed25519SigningKey.generate()
        var jwks = Router()
        jwks.get("/.well-known/jwks.json") { _ in .bytes(JWKSet(keys: [key.verificationKey.jwk]).jsonBytes(), contentType: "application/json") }
        try await withLiveHTTPServer(responder: jwks) { _, jwksPort in
            let auth = try ServiceAuthentication(settings: AuthSettings(authURL: "http://127.0.0.1:\(jwksPort)", issuer: issuer),
                                                 client: try HTTPClient())
            let logger = Logger(label: "test.etl.api")
            let progress = ProgressBroadcaster(database: jobs.database, logger: logger)
            let listening = try progress.start(conninfo: jobs.cluster.connection.primaryURL)
            let push = PushService(database: jobs.database, loader: jobs.loader, authenticator: auth.authenticator)
            var routes = ServiceRoutes()
            ETLRoutes(database: jobs.database, auth: auth, scope: scope, progress: progress, push: push,
                      logs: logDirectory.map(LogReader.init(directory:)), logger: logger).register(on: &routes)
            try await Task.sleep(for: .milliseconds(200))  // LISTEN in place
            try await withLiveHTTPServer(responder: routes.router) { _, port in
                try await body(ServiceTestHarness(jobs: jobs, key: key, port: port))
            }
            listening.cancel()
        }
        if database == nil { await jobs.shutdown() }
    }

    func token(client: Int, permissions: [String], kind: Identity.Kind = .user) throws -> String {
        try AccessTokenIssuer(issuer: Self.issuer, audience: ["pulse"]).issue(
            subject: "42", clientID: String(client), roles: ["admin"], permissions: permissions,
            sessionID: kind == .user ? "s-\(client)" : nil, kind: kind, key: SigningKey(key), now: Date()).token
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var text: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    }

    func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: String? = nil, contentType: String = "application/json",
              headers extra: [(String, String)] = []) async throws -> Answer {
        var headers = HTTPHeaders()
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if body != nil { headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in extra { headers.add(name: name, value: value) }
        let response = try await HTTPClient().execute(HTTPClientRequest(method: method, url: "http://127.0.0.1:\(port)\(path)", headers: headers,
                                                                         body: Array((body ?? "").utf8)))
        return Answer(status: response.status.code, headers: response.headers, text: response.bodyText)
    }

    func webSocket(_ path: String, token: String) async throws -> WebSocketClient {
        try await WebSocketClient.connect(port: port, path: path, headers: [("Authorization", "Bearer \(token)")])
    }
}

extension WebSocketClient {
    /// The next text frame as JSON, within `seconds`.
    func nextJSON(seconds: Double = 10) async throws -> [String: Any] {
        let messages = self.messages
        let text = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                for try await message in messages {
                    if case .text(let text) = message { return text }
                }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let text else { throw TimedOut() }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    struct TimedOut: Error {}
}
