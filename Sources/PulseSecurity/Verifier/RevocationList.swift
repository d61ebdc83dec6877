import Foundation

/// A revocation pushed by the auth service (from PostgreSQL LISTEN/NOTIFY or any bus).
/// Each entry carries `until`: the moment after which every token it could match has
/// expired anyway, so the list forgets it and stays bounded by the number of revocations
/// within one access-token lifetime.
public enum RevocationEvent: Sendable, Hashable {
    /// Every token of this sign-in session.
    case session(id: String, until: Date)
    /// Every token of this subject in this tenant issued before `issuedBefore` (user
    /// disabled, password changed, "sign out everywhere").
    case subject(clientID: String, subject: String, issuedBefore: Date, until: Date)

    /// Parses a NOTIFY payload: `{"sid":"…","until":1700000000}` or
    /// `{"client_id":"…","sub":"…","issued_before":1700000000,"until":1700000900}`.
    public init(payload: String) throws(SecurityError) {
        struct Wire: Decodable {
            var sid: String?
            var client_id: String?
            var sub: String?
            var issued_before: Double?
            var until: Double
        }
        let bad = SecurityError(.invalidInput, "revocation payload is malformed")
        guard payload.utf8.count <= 4096, let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload.utf8)),
            wire.until.isFinite
        else { throw bad }
        let until = Date(timeIntervalSince1970: wire.until)
        if let sid = wire.sid, !sid.isEmpty, wire.sub == nil {
            self = .session(id: sid, until: until)
        } else if let client = wire.client_id, let sub = wire.sub, let before = wire.issued_before, before.isFinite,
            wire.sid == nil, !client.isEmpty, !sub.isEmpty {
            self = .subject(clientID: client, subject: sub, issuedBefore: Date(timeIntervalSince1970: before), until: until)
        } else {
            throw bad
        }
    }

    /// The NOTIFY payload for this event (the inverse of `init(payload:)`).
    public var payload: String {
        func json(_ s: String) -> String {
            let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
            return String(decoding: data, as: UTF8.self)
        }
        switch self {
        case let .session(id, until):
            return #"{"sid":\#(json(id)),"until":\#(Int64(until.timeIntervalSince1970.rounded(.up)))}"#
        case let .subject(client, sub, before, until):
            return #"{"client_id":\#(json(client)),"sub":\#(json(sub)),"issued_before":\#(Int64(before.timeIntervalSince1970.rounded(.up))),"until":\#(Int64(until.timeIntervalSince1970.rounded(.up)))}"#
        }
    }
}

/// The set of revoked sessions and subjects as a plain value (the verifier keeps one behind
/// a lock). Pure: time is a parameter.
public struct RevocationList: Sendable {
    private var sessions: [String: Date] = [:]
    private var subjects: [String: (issuedBefore: Date, until: Date)] = [:]

    public init() {}

    public var count: Int { sessions.count + subjects.count }

    public mutating func apply(_ event: RevocationEvent) {
        switch event {
        case let .session(id, until):
            sessions[id] = max(until, sessions[id] ?? until)
        case let .subject(client, sub, before, until):
            let key = Self.subjectKey(client, sub)
            let old = subjects[key]
            subjects[key] = (max(before, old?.issuedBefore ?? before), max(until, old?.until ?? until))
        }
    }

    /// True when `claims` belong to a revoked session or a revoked subject's older tokens.
    public func isRevoked(_ claims: JWTClaims, now: Date) -> Bool {
        if let sid = claims.sessionID, let until = sessions[sid], now < until { return true }
        if !subjects.isEmpty, let client = claims.clientID, let sub = claims.subject,
            let entry = subjects[Self.subjectKey(client, sub)], now < entry.until {
            // A token without iat cannot prove it is newer than the revocation.
            guard let iat = claims.issuedAt else { return true }
            return Date(timeIntervalSince1970: TimeInterval(iat)) < entry.issuedBefore
        }
        return false
    }

    /// Forgets entries whose `until` has passed.
    public mutating func prune(now: Date) {
        sessions = sessions.filter { $0.value > now }
        subjects = subjects.filter { $0.value.until > now }
    }

    private static func subjectKey(_ client: String, _ sub: String) -> String { "\(client.utf8.count):\(client)/\(sub)" }
}
