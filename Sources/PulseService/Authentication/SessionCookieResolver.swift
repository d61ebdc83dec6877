import Foundation
import PulseHTTP
import PulseHTTPClient
import PulseSecurity
import Synchronization

/// Turns a pulse-auth session cookie into an `Identity`. The cookie is an opaque handle only
/// pulse-auth can check, so the resolver asks it (`GET /auth/me` with the cookie) and keeps
/// the answer for `lifetime` seconds. Pushed revocations (`apply`) drop the cached sessions
/// they name at once and are checked on every hit, so a signed-out session stops working
/// within the push latency, not the cache lifetime.
public final class SessionCookieResolver: Sendable {
    private struct Entry {
        let identity: Identity
        let fetchedAt: Date
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Lookups in flight, so a page firing ten API calls at once asks pulse-auth once.
        var inflight: [String: Task<Identity, any Error>] = [:]
        var revocations = RevocationList()
    }

    private let meURL: String
    private let client: HTTPClient
    private let lifetime: TimeInterval
    private let capacity: Int
    private let state = Mutex(State())

    public init(authURL: String, client: HTTPClient, lifetime: TimeInterval = 30, capacity: Int = 10_000) {
        meURL = authURL + "/auth/me"
        self.client = client
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// Calls made to pulse-auth so far (cache misses).

    /// What went wrong resolving a cookie.
    public enum Failure: Error, Sendable, Equatable {
        /// pulse-auth does not know the session (signed out, expired, bad cookie).
        case notSignedIn
        /// pulse-auth could not be asked.
        case unavailable(String)
    }

    /// The identity behind `cookie` (the cookie's value, without its name).
    public func identity(cookie: String, requestID: String? = nil) async throws(Failure) -> Identity {
        let now = Date()
        let cached = state.withLock { s -> Identity? in
            guard let entry = s.entries[cookie] else { return nil }
            if now.timeIntervalSince(entry.fetchedAt) >= lifetime || Self.isRevoked(entry, s.revocations, now: now) {
                s.entries[cookie] = nil
                return nil
            }
            return entry.identity
        }
        if let cached { return cached }
        let task = state.withLock { s -> Task<Identity, any Error> in
            if let running = s.inflight[cookie] { return running }
            let task = Task { [self] () throws -> Identity in
                do throws(Failure) { return try await fetch(cookie: cookie, requestID: requestID) } catch { throw error }
            }
            s.inflight[cookie] = task
            return task
        }
        let identity: Identity
        do { identity = try await task.value } catch {
            state.withLock { s in if s.inflight[cookie] == task { s.inflight[cookie] = nil } }
            throw (error as? Failure) ?? .unavailable("\(error)")
        }
        let entry = Entry(identity: identity, fetchedAt: now)
        return try state.withLock { s throws(Failure) -> Identity in
            if s.inflight[cookie] == task { s.inflight[cookie] = nil }
            // A revocation that arrived while pulse-auth was answering still wins.
            if Self.isRevoked(entry, s.revocations, now: Date()) { throw .notSignedIn }
            if s.entries.count >= capacity { s.entries.removeAll(keepingCapacity: true) }
            s.entries[cookie] = entry
            return identity
        }
    }

    /// Applies a pushed revocation.
    public func apply(_ event: RevocationEvent) {
        state.withLock { s in
            s.revocations.apply(event)
            let now = Date()
            s.entries = s.entries.filter { !Self.isRevoked($0.value, s.revocations, now: now) }
        }
    }

    /// Forgets expired entries and revocations (call periodically).
    public func prune() {
        let now = Date()
        state.withLock { s in
            s.revocations.prune(now: now)
            s.entries = s.entries.filter { now.timeIntervalSince($0.value.fetchedAt) < lifetime }
        }
    }

    private static func isRevoked(_ entry: Entry, _ list: RevocationList, now: Date) -> Bool {
        guard list.count > 0 else { return false }
        let claims = JWTClaims(subject: entry.identity.subject, issuedAt: Int64(entry.fetchedAt.timeIntervalSince1970),
                               clientID: entry.identity.clientID, sessionID: entry.identity.sessionID)
        return list.isRevoked(claims, now: now)
    }

    /// The members of pulse-auth's `/auth/me` answer for a user session.
    private struct Me: Decodable {
        var kind: String
        var id: Int
        var client_id: Int
        var roles: [String]
        var permissions: [String]
        var session_id: String?
    }

    private func fetch(cookie: String, requestID: String?) async throws(Failure) -> Identity {
        guard !cookie.isEmpty, cookie.utf8.count <= 512, cookie.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3B && $0 != 0x2C })
        else { throw .notSignedIn }
        var headers: HTTPHeaders = ["Cookie": "\(ServiceAuthentication.sessionCookieName)=\(cookie)", "Accept": "application/json"]
        if let requestID { headers.add(name: "X-Request-Id", value: requestID) }
        let response: HTTPClientResponse
        do { response = try await client.execute(HTTPClientRequest(url: meURL, headers: headers, maximumRedirects: 0)) } catch {
            throw .unavailable(error.description)
        }
        switch response.status.code {
        case 200: break
        case 401, 403, 404: throw .notSignedIn
        default: throw .unavailable("pulse-auth answered \(response.status.code)")
        }
        guard let me = try? response.decode(Me.self), me.kind == "user" else { throw .unavailable("unexpected /auth/me answer") }
        let claims = JWTClaims(subject: String(me.id), expiresAt: Int64(Date().addingTimeInterval(lifetime).timeIntervalSince1970),
                               clientID: String(me.client_id), roles: me.roles, permissions: me.permissions, sessionID: me.session_id)
        do { return try Identity(claims: claims) } catch { throw .unavailable("incomplete /auth/me answer") }
    }
}
