import Foundation
import Logging
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService
import Synchronization

/// Feature flags per client (issue 13 item 4) in `system_settings` under `feature_flags`.
/// A change is announced with `NOTIFY pulse_feature_flags '{"client_id": N}'`, so every
/// process holding a `FeatureFlagCache` sees it within a second.
public enum FeatureFlags {
    /// The NOTIFY channel of flag changes.
    public static let channel = "pulse_feature_flags"
    static let key = "feature_flags"

    /// Known flags and their defaults.
    public static let defaults: [String: Bool] = [
        "ai_features": true, "sso_only_login": false, "portfolio_insights": true, "ml_monitoring": true,
    ]

    static let spec = BodySpec(defaults.keys.sorted().map { Field($0, .boolean) })
    static let schema = Docs.object(Dictionary(uniqueKeysWithValues: defaults.keys.map { ($0, Docs.boolean) }))

    /// The client's flags over the defaults (inside its scope).
    public static func load(_ tx: PostgresTransaction, clientID: Int) async throws -> JSONValue {
        var flags = defaults.mapValues(JSONValue.bool)
        for (name, value) in try await SystemSettings.object(tx, clientID: clientID, key: key) where defaults[name] != nil && value.boolValue != nil {
            flags[name] = value
        }
        return .object(flags)
    }

    static func save(_ tx: PostgresTransaction, clientID: Int, changes: [String: JSONValue]) async throws {
        guard !changes.isEmpty else { return }
        let merged = (try await load(tx, clientID: clientID).objectValue ?? [:]).merging(changes) { $1 }
        try await SystemSettings.store(tx, clientID: clientID, key: key, value: .object(merged), description: "Feature flags")
        // Delivered at commit, to every listener.
        try await tx.query("SELECT pg_notify($1, $2)", channel, JSONValue.object(["client_id": .int(clientID)]).text)
    }
}

/// Any service's view of the flags: loaded on first use per client, dropped when a NOTIFY
/// names the client, so a change takes effect within the push latency.
public final class FeatureFlagCache: Sendable {
    private let database: PostgresDatabase
    private let cache = Mutex<[Int: [String: Bool]]>([:])

    public init(database: PostgresDatabase) { self.database = database }

    /// Starts listening on `FeatureFlags.channel` (cancel the task to stop).
    public func start(logger: Logger) throws -> Task<Void, Never> {
        let listener = try PostgresListener(conninfo: database.primary.conninfo, channels: [FeatureFlags.channel]) { [self] in
            cache.withLock { $0.removeAll() }
        }
        return Task { [self] in
            do {
                for try await notification in listener {
                    if let id = JSONValue.parse(Array(notification.payload.utf8))?["client_id"]?.intValue {
                        _ = cache.withLock { $0.removeValue(forKey: id) }
                    }
                }
            } catch {
                if !Task.isCancelled { logger.error("Feature flag listener stopped", metadata: ["error": "\(error)"]) }
            }
        }
    }

    /// The client's flags.
    public func flags(clientID: Int) async throws -> [String: Bool] {
        if let cached = cache.withLock({ $0[clientID] }) { return cached }
        let value = try await database.client(clientID).read { tx in try await FeatureFlags.load(tx, clientID: clientID) }
        let flags = (value.objectValue ?? [:]).compactMapValues(\.boolValue)
        cache.withLock { $0[clientID] = flags }
        return flags
    }

    /// Whether `flag` is on for the client.
    public func isEnabled(_ flag: String, clientID: Int) async throws -> Bool { try await flags(clientID: clientID)[flag] ?? false }
}

enum FeatureFlagRoutes {
    static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        let db = context.database
        for path in ["/api/v1/features", "/api/v1/feature-flags"] {
        routes.add(.get, path, summary: "The caller's client feature flags (any signed-in user or service account of the client).",
                   responses: [Docs.ok(FeatureFlags.schema), .init(401, "Not signed in", contentType: "application/problem+json", schema: Docs.problem)],
                   middleware: [SignedIn(context: context)]) { request in
            let clientID = try request.tenantID()
            let value = try await db.client(clientID).read { tx in try await FeatureFlags.load(tx, clientID: clientID) }
            return value.response(etag: value.etag)
        }
        }
        routes.add(.put, "/api/v1/feature-flags/:name", summary: "Turns one flag on or off: {\"enabled\": bool} (needs settings:write); answers every flag.",
                   responses: [Docs.ok(FeatureFlags.schema), Docs.badRequest, Docs.notFound],
                   requestContentType: "application/json", requestSchema: oneFlagSpec.schema,
                   middleware: [context.auth.require("settings:write")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            guard let name = request.pathParameters["name"], FeatureFlags.defaults[name] != nil else {
                throw HTTPError(.notFound, detail: "no such feature flag (known: \(FeatureFlags.defaults.keys.sorted().joined(separator: ", ")))")
            }
            let body = try request.validatedBody(oneFlagSpec)
            let value = try await change(db, clientID: clientID, actor: actor, request: request, changes: [name: body["enabled"]!])
            return value.response(etag: value.etag)
        }
        routes.add(.patch, "/api/v1/features", summary: "Turns flags on or off (needs settings:write; If-Match → 412 when stale); reaches every service within a second.",
                   responses: [Docs.ok(FeatureFlags.schema), Docs.badRequest, Docs.preconditionFailed],
                   requestContentType: "application/json", requestSchema: FeatureFlags.spec.schema,
                   middleware: [context.auth.require("settings:write")]) { request in
            let clientID = try request.tenantID(), actor = try request.actor()
            let changes = try request.validatedBody(FeatureFlags.spec)
            let value = try await change(db, clientID: clientID, actor: actor, request: request, changes: changes)
            return value.response(etag: value.etag)
        }
    }

    static let oneFlagSpec = BodySpec([Field("enabled", .boolean, required: true)])

    /// Applies flag changes (If-Match checked on the locked client row) and audits them.
    static func change(_ db: PostgresDatabase, clientID: Int, actor: Actor, request: HTTPRequest,
                       changes: [String: JSONValue]) async throws -> JSONValue {
        try await SystemSettings.change(db, clientID: clientID, actor: actor, request: request, resourceType: "feature_flags",
                                        load: { try await FeatureFlags.load($0, clientID: clientID) },
                                        save: { try await FeatureFlags.save($0, clientID: clientID, changes: changes) })
    }
}

/// Any authenticated caller (401 otherwise); no permission needed.
struct SignedIn: Middleware {
    let context: BackendContext
    func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        if request.identity(as: Identity.self) == nil {
            guard let identity = try await context.auth.authenticator.authenticate(request) else {
                throw HTTPError(.unauthorized, detail: "authentication required", type: "urn:pulse:auth:unauthorized",
                                headers: ["WWW-Authenticate": #"Bearer realm="pulse""#])
            }
            request.context[AuthenticatedIdentityKey<Identity>.self] = identity
        }
        return try await next.respond(to: request)
    }
}
