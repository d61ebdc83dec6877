import COpenSSL

/// Bytes from the OS CSPRNG (OpenSSL's RAND_bytes, seeded from getrandom(2)).
/// Used for every token, salt, nonce and key PulseSecurity creates.
public enum SecureRandom {
    /// `count` cryptographically secure random bytes. Traps only if the CSPRNG itself is
    /// broken (RAND_bytes failing means the process must not hand out tokens at all).
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0)
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        precondition(ok == 1, "OS CSPRNG unavailable")
        return out
    }

    /// A random token of `byteCount` bytes, base64url without padding (URL- and header-safe).
    public static func token(byteCount: Int = 32) -> String {
        Base64URL.encode(bytes(byteCount))
    }
}

/// Comparisons whose running time does not depend on where the inputs differ.
public enum ConstantTime {
    /// Equal-length inputs are compared in time independent of their contents; the length
    /// itself is not secret (MACs, hashes and signatures have public lengths).
    @inline(never)
    public static func equals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }

    /// Compares two strings by their UTF-8 bytes in constant time.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
