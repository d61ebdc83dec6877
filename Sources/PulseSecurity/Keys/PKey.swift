import COpenSSL
import Synchronization

/// Owns one OpenSSL EVP_PKEY. Immutable after creation; OpenSSL 3 allows concurrent
/// sign/verify operations on a shared EVP_PKEY, hence `@unchecked Sendable`.
package final class PKey: @unchecked Sendable {
    package let pointer: OpaquePointer
    /// Initialised pure-EdDSA verify contexts, reused: in OpenSSL 3.0 EVP_DigestVerifyInit
    /// (provider fetch, context setup) costs about a third of an Ed25519 verification, and
    /// a one-shot EdDSA EVP_DigestVerify leaves the context reusable.
    private let edVerifyContexts = Mutex(ContextPool())
    private static let poolLimit = 16

    private struct ContextPool {
        var free: [Context] = []
    }

    /// A verify context; only ever used by the one caller that popped it from the pool.
    private struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    package init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit {
        edVerifyContexts.withLock { pool in
            for ctx in pool.free { EVP_MD_CTX_free(ctx.pointer) }
            pool.free.removeAll()
        }
        EVP_PKEY_free(pointer)
    }

    /// Pure EdDSA verification through a pooled context. A context is returned to the pool
    /// only after a clean yes/no answer; after any error it is freed.
    package func verifyEdDSA(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> Bool {
        var ctx = edVerifyContexts.withLock { $0.free.popLast() }?.pointer
        if ctx == nil {
            guard let fresh = EVP_MD_CTX_new() else { return false }
            guard EVP_DigestVerifyInit(fresh, nil, nil, nil, pointer) == 1 else {
                EVP_MD_CTX_free(fresh)
                ERR_clear_error()
                return false
            }
            ctx = fresh
        }
        guard let ctx else { return false }
        let result = EVP_DigestVerify(
            ctx, signature.bindMemory(to: UInt8.self).baseAddress, signature.count,
            message.bindMemory(to: UInt8.self).baseAddress, message.count)
        if result == 1 || result == 0 {
            let kept = edVerifyContexts.withLock { pool -> Bool in
                guard pool.free.count < Self.poolLimit else { return false }
                pool.free.append(Context(pointer: ctx))
                return true
            }
            if !kept { EVP_MD_CTX_free(ctx) }
        } else {
            EVP_MD_CTX_free(ctx)
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// Parses a DER SubjectPublicKeyInfo (RSA, EC, Ed25519).
    package static func publicKey(derSPKI der: [UInt8]) throws(SecurityError) -> PKey {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buf in
            var cursor: UnsafePointer<UInt8>? = buf.baseAddress
            return d2i_PUBKEY(nil, &cursor, buf.count)
        }
        guard let key else {
            ERR_clear_error()
            throw SecurityError(.invalidKey, "public key could not be parsed")
        }
        return PKey(key)
    }

    package var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    package func isA(_ name: String) -> Bool { EVP_PKEY_is_a(pointer, name) == 1 }

    /// One-shot verify. `digest` is nil for Ed25519 (pure EdDSA), SHA-256 otherwise.
    package func verify(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, sha256: Bool) -> Bool {
        guard let ctx = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, sha256 ? EVP_sha256() : nil, nil, pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = EVP_DigestVerify(
            ctx, signature.bindMemory(to: UInt8.self).baseAddress, signature.count,
            message.bindMemory(to: UInt8.self).baseAddress, message.count)
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// One-shot sign (pure EdDSA when `sha256` is false).
    package func sign(message: UnsafeRawBufferPointer, sha256: Bool) throws(SecurityError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw SecurityError(.cryptoFailure, "digest context allocation failed") }
        defer { EVP_MD_CTX_free(ctx) }
        let msg = message.bindMemory(to: UInt8.self).baseAddress
        var length = 0
        guard EVP_DigestSignInit(ctx, nil, sha256 ? EVP_sha256() : nil, nil, pointer) == 1,
            EVP_DigestSign(ctx, nil, &length, msg, message.count) == 1
        else {
            ERR_clear_error()
            throw SecurityError(.cryptoFailure, "signing failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        let ok = signature.withUnsafeMutableBufferPointer { EVP_DigestSign(ctx, $0.baseAddress, &length, msg, message.count) }
        guard ok == 1 else {
            ERR_clear_error()
            throw SecurityError(.cryptoFailure, "signing failed")
        }
        return Array(signature[0..<length])
    }
}
