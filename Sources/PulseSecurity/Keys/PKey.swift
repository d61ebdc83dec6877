import COpenSSL
import Synchronization

/// Owns one OpenSSL EVP_PKEY. Immutable after creation; OpenSSL 3 allows concurrent
/// sign/verify operations on a shared EVP_PKEY, hence `@unchecked Sendable`.
package final class PKey: @unchecked Sendable {
    package let pointer: OpaquePointer
    /// Initialised pure-EdDSA sign and verify contexts, reused: in OpenSSL 3.0
    /// EVP_DigestSignInit/VerifyInit (provider fetch, context setup) cost about a third of an
    /// Ed25519 operation, and one-shot EdDSA EVP_DigestSign/Verify leave the context reusable.
    private let pools = Mutex(ContextPools())
    private static let poolLimit = 16

    private struct ContextPools {
        var sign: [Context] = []
        var verify: [Context] = []

        mutating func pop(sign isSign: Bool) -> Context? { isSign ? sign.popLast() : verify.popLast() }

        mutating func push(_ ctx: Context, sign isSign: Bool) -> Bool {
            guard (isSign ? sign.count : verify.count) < PKey.poolLimit else { return false }
            if isSign { sign.append(ctx) } else { verify.append(ctx) }
            return true
        }
    }

    /// A context; only ever used by the one caller that popped it from the pool.
    private struct Context: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    package init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit {
        pools.withLock { p in
            for ctx in p.sign + p.verify { EVP_MD_CTX_free(ctx.pointer) }
            p = ContextPools()
        }
        EVP_PKEY_free(pointer)
    }

    /// Runs `body` with a pooled EdDSA context (created and initialised on demand). The
    /// context goes back to the pool only when `body` reports a clean outcome; after any
    /// OpenSSL error it is freed.
    private func withEdDSAContext<R>(sign: Bool, _ body: (OpaquePointer) -> (R, clean: Bool)) -> R? {
        var ctx = pools.withLock { $0.pop(sign: sign) }?.pointer
        if ctx == nil {
            guard let fresh = EVP_MD_CTX_new() else { return nil }
            let ok = sign ? EVP_DigestSignInit(fresh, nil, nil, nil, pointer) : EVP_DigestVerifyInit(fresh, nil, nil, nil, pointer)
            guard ok == 1 else {
                EVP_MD_CTX_free(fresh)
                ERR_clear_error()
                return nil
            }
            ctx = fresh
        }
        guard let ctx else { return nil }
        let (result, clean) = body(ctx)
        let kept = clean && pools.withLock { $0.push(Context(pointer: ctx), sign: sign) }
        if !kept { EVP_MD_CTX_free(ctx) }
        return result
    }

    /// Pure EdDSA verification through a pooled context.
    package func verifyEdDSA(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> Bool {
        let ok = withEdDSAContext(sign: false) { ctx in
            let result = EVP_DigestVerify(
                ctx, signature.bindMemory(to: UInt8.self).baseAddress, signature.count,
                message.bindMemory(to: UInt8.self).baseAddress, message.count)
            if result != 1 { ERR_clear_error() }
            return (result == 1, result == 1 || result == 0)
        }
        return ok ?? false
    }

    /// Pure EdDSA signing (64-byte signature) through a pooled context.
    package func signEdDSA(message: UnsafeRawBufferPointer) throws(SecurityError) -> [UInt8] {
        let signature: [UInt8]? = withEdDSAContext(sign: true) { ctx in
            var sig = [UInt8](repeating: 0, count: 64)
            var length = 64
            let ok = sig.withUnsafeMutableBufferPointer {
                EVP_DigestSign(ctx, $0.baseAddress, &length, message.bindMemory(to: UInt8.self).baseAddress, message.count)
            }
            guard ok == 1, length == 64 else {
                ERR_clear_error()
                return (nil, false)
            }
            return (sig, true)
        } ?? nil
        guard let signature else { throw SecurityError(.cryptoFailure, "signing failed") }
        return signature
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
}
