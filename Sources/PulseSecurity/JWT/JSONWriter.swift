/// Writes the flat JSON objects of JOSE headers and JWT claims directly to UTF-8 bytes (no
/// Foundation encoder on the signing path). Strings are escaped per RFC 8259 §7: quote,
/// backslash and control characters; other characters are written as UTF-8.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var empty = true

    init() { bytes.reserveCapacity(512) }

    private mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        Self.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        Self.appendString(value, to: &bytes)
    }

    mutating func strings(_ name: String, _ values: [String]?) {
        guard let values else { return }
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendString(v, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func integer(_ name: String, _ value: Int64?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ name: String, _ value: Bool?) {
        guard let value else { return }
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20: out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JWTClaims {
    /// The claims as compact JSON (the JWS payload).
    public func jsonBytes() -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("iss", issuer)
        w.string("sub", subject)
        if let audience, audience.count == 1 { w.string("aud", audience[0]) } else { w.strings("aud", audience) }
        w.integer("exp", expiresAt)
        w.integer("nbf", notBefore)
        w.integer("iat", issuedAt)
        w.string("jti", tokenID)
        w.string("client_id", clientID)
        w.strings("roles", roles)
        w.strings("permissions", permissions)
        w.string("sid", sessionID)
        w.string("principal", principal)
        w.string("nonce", nonce)
        w.string("azp", authorizedParty)
        w.string("email", email)
        w.bool("email_verified", emailVerified)
        w.string("name", name)
        return w.finish()
    }
}

extension JWTHeader {
    /// The header as compact JSON (the JWS protected header).
    public func jsonBytes() -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("alg", alg)
        w.string("kid", kid)
        w.string("typ", typ)
        w.strings("crit", crit)
        return w.finish()
    }
}
