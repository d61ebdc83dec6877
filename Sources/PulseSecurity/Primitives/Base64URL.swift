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

    /// Decodes a slice of UTF-8 bytes (used by the JWT parser without copying). Four
    /// characters at a time into a preallocated array: this runs on every token verification.
    package static func decode(_ input: UnsafeBufferPointer<UInt8>) throws(SecurityError) -> [UInt8] {
        let n = input.count
        if n % 4 == 1 { throw SecurityError(.invalidInput, "invalid base64url encoding") }
        let outCount = n * 3 / 4
        var valid = true
        let out = reverse.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: outCount) { buffer, count in
                @inline(__always) func value(_ i: Int) -> UInt32 { UInt32(table[Int(input[i])]) }
                var i = 0, o = 0
                while i + 4 <= n {
                    let a = value(i), b = value(i + 1), c = value(i + 2), d = value(i + 3)
                    // Valid values are < 64; the 0xFF marker of a foreign character has bit 7 set.
                    if (a | b | c | d) & 0xC0 != 0 {
                        valid = false
                        break
                    }
                    let v = a << 18 | b << 12 | c << 6 | d
                    buffer[o] = UInt8(truncatingIfNeeded: v >> 16)
                    buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 8)
                    buffer[o + 2] = UInt8(truncatingIfNeeded: v)
                    i += 4
                    o += 3
                }
                // The tail: 2 or 3 characters. Leftover bits must be zero, otherwise two
                // strings would decode to the same bytes.
                if valid, n - i == 2 {
                    let a = value(i), b = value(i + 1)
                    let v = a << 6 | b
                    if (a | b) & 0xC0 != 0 || v & 0xF != 0 { valid = false } else { buffer[o] = UInt8(truncatingIfNeeded: v >> 4) }
                } else if valid, n - i == 3 {
                    let a = value(i), b = value(i + 1), c = value(i + 2)
                    let v = a << 12 | b << 6 | c
                    if (a | b | c) & 0xC0 != 0 || v & 0x3 != 0 { valid = false } else {
                        buffer[o] = UInt8(truncatingIfNeeded: v >> 10)
                        buffer[o + 1] = UInt8(truncatingIfNeeded: v >> 2)
                    }
                }
                if !valid { buffer.initialize(repeating: 0) }
                count = outCount
            }
        }
        guard valid else { throw SecurityError(.invalidInput, "invalid base64url encoding") }
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
