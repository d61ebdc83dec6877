import COpenSSL

/// SHA-256 and HMAC-SHA256 through OpenSSL's EVP layer.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash<C: Collection<UInt8>>(_ data: C) -> [UInt8] {
        Array(data).withUnsafeBytes { hash($0) }
    }

    public static func hash(_ string: String) -> [UInt8] { hash(Array(string.utf8)) }

    /// SHA-256 explicitly fetched once: `EVP_sha256()` makes OpenSSL 3 look the provider
    /// implementation up again on every digest, a measurable part of a JWT verification.
    private struct FetchedMD: @unchecked Sendable { let pointer: OpaquePointer? }
    private static let fetched = FetchedMD(pointer: EVP_MD_fetch(nil, "SHA256", nil))

    /// Hashes raw bytes with the pre-fetched implementation (every SHA-256 goes through here).
    package static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { outBuf in
            EVP_Digest(buffer.baseAddress, buffer.count, outBuf.baseAddress, &length, fetched.pointer ?? EVP_sha256(), nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return out
    }
}

public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticationCode<K: Collection<UInt8>, M: Collection<UInt8>>(for message: M, key: K) -> [UInt8] {
        let key = Array(key)
        let message = Array(message)
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                out.withUnsafeMutableBufferPointer { o in
                    // An empty key is legal for HMAC; OpenSSL wants a non-null pointer for it.
                    HMAC(EVP_sha256(), k.baseAddress ?? UnsafeRawPointer(o.baseAddress!), Int32(k.count),
                        m.bindMemory(to: UInt8.self).baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        precondition(result != nil && length == 32, "HMAC-SHA256 failed")
        return out
    }

    /// Recomputes the MAC and compares in constant time.
    public static func isValid<K: Collection<UInt8>, M: Collection<UInt8>, T: Collection<UInt8>>(
        _ tag: T, for message: M, key: K
    ) -> Bool {
        ConstantTime.equals(authenticationCode(for: message, key: key), tag)
    }
}
