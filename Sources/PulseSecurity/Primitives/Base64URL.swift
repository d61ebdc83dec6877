/// Base64url without padding (RFC 4648 §5, RFC 7515 §2), strict: decoding rejects padding,
/// whitespace, characters outside the alphabet, impossible lengths and non-zero trailing
/// bits, so every byte string has exactly one accepted encoding (no signature malleability).
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= input.count {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            i += 3
        }
        let rest = input.count - i
        if rest == 1 {
            let n = UInt32(input[i]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func encode(_ string: String) -> String { encode(Array(string.utf8)) }

    /// Decodes strictly; throws `invalidInput` on anything but canonical unpadded base64url.
    public static func decode(_ string: String) throws(SecurityError) -> [UInt8] {
        try Array(string.utf8).withUnsafeBufferPointer { utf8 throws(SecurityError) in try decode(utf8) }
    }

    /// Decodes a slice of UTF-8 bytes (used by the JWT parser without copying).
    package static func decode(_ input: UnsafeBufferPointer<UInt8>) throws(SecurityError) -> [UInt8] {
        let invalid = SecurityError(.invalidInput, "invalid base64url encoding")
        if input.count % 4 == 1 { throw invalid }
        var out = [UInt8]()
        out.reserveCapacity(input.count * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in input {
            let v = reverse[Int(c)]
            if v == 0xFF { throw invalid }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
                acc &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits must be zero, otherwise two strings would decode to the same bytes.
        if acc != 0 { throw invalid }
        return out
    }
}

/// Lower-case hexadecimal, for digests in logs, test vectors and storage keys.
public enum Hex {
    public static func encode<C: Collection<UInt8>>(_ bytes: C) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ string: String) throws(SecurityError) -> [UInt8] {
        let chars = Array(string.utf8)
        guard chars.count % 2 == 0 else { throw SecurityError(.invalidInput, "invalid hex encoding") }
        func nibble(_ c: UInt8) throws(SecurityError) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw SecurityError(.invalidInput, "invalid hex encoding")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            out.append(try nibble(chars[i]) << 4 | nibble(chars[i + 1]))
            i += 2
        }
        return out
    }
}
