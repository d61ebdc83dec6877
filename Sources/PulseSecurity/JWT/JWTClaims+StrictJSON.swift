/// Typed extraction of header and claims from a strictly parsed JSON object. A member that is
/// present with the wrong type is an error (never silently ignored); unknown members are ignored.
struct MemberReader {
    let members: [String: JSONValue]
    static let malformed = SecurityError(.malformedToken, "token part is not valid JSON of the expected shape")

    func string(_ name: String) throws(SecurityError) -> String? {
        switch members[name] {
        case nil: return nil
        case let .string(s)?: return s
        default: throw Self.malformed
        }
    }

    func strings(_ name: String) throws(SecurityError) -> [String]? {
        switch members[name] {
        case nil: return nil
        case let .array(items)?:
            var out: [String] = []
            out.reserveCapacity(items.count)
            for item in items {
                guard case let .string(s) = item else { throw Self.malformed }
                out.append(s)
            }
            return out
        default: throw Self.malformed
        }
    }

    func bool(_ name: String) throws(SecurityError) -> Bool? {
        switch members[name] {
        case nil: return nil
        case let .bool(b)?: return b
        default: throw Self.malformed
        }
    }

    /// NumericDate (RFC 7519 §2): a non-negative number, possibly fractional, truncated to seconds.
    func numericDate(_ name: String) throws(SecurityError) -> Int64? {
        switch members[name] {
        case nil: return nil
        case let .number(v)? where v >= 0 && v < 1e13: return Int64(v.rounded(.down))
        default: throw Self.malformed
        }
    }
}

extension JWTHeader {
    init(strictJSON bytes: [UInt8]) throws(SecurityError) {
        let r = MemberReader(members: try StrictJSON.object(bytes))
        guard let alg = try r.string("alg") else { throw MemberReader.malformed }
        self.init(alg: alg, kid: try r.string("kid"), typ: try r.string("typ"))
        // Any `crit`, whatever its shape, is remembered so the verifier refuses the token.
        if r.members["crit"] != nil { crit = (try? r.strings("crit")) ?? ["?"] }
    }
}

extension JWTClaims {
    init(strictJSON bytes: [UInt8]) throws(SecurityError) {
        let r = MemberReader(members: try StrictJSON.object(bytes))
        self.init()
        issuer = try r.string("iss")
        subject = try r.string("sub")
        if case .string(let single)? = r.members["aud"] { audience = [single] } else { audience = try r.strings("aud") }
        expiresAt = try r.numericDate("exp")
        notBefore = try r.numericDate("nbf")
        issuedAt = try r.numericDate("iat")
        tokenID = try r.string("jti")
        clientID = try r.string("client_id")
        roles = try r.strings("roles")
        permissions = try r.strings("permissions")
        sessionID = try r.string("sid")
        principal = try r.string("principal")
        nonce = try r.string("nonce")
        authorizedParty = try r.string("azp")
        email = try r.string("email")
        emailVerified = try r.bool("email_verified")
        name = try r.string("name")
    }
}
