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
    /// Initialised RSA PKCS#1 v1.5 / SHA-256 EVP_PKEY_CTXs for verify and sign over a digest
    /// (`EVP_PKEY_verify` leaves its context reusable, unlike a one-shot DigestVerify).
    private let rsaPools = Mutex(ContextPools())
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
        rsaPools.withLock { p in
            for ctx in p.sign + p.verify { EVP_PKEY_CTX_free(ctx.pointer) }
            p = ContextPools()
        }
        EVP_PKEY_free(pointer)
    }

    /// Runs `body` with a context from `pool`, or a fresh one from `make` prepared by `setup`.
    /// The context goes back to the pool only when `body` reports a clean outcome; after any
    /// OpenSSL error it is freed.
    private func withPooled<R>(_ pool: borrowing Mutex<ContextPools>, sign: Bool, make: () -> OpaquePointer?,
                               setup: (OpaquePointer) -> Bool, free: (OpaquePointer) -> Void,
                               _ body: (OpaquePointer) -> (R, clean: Bool)) -> R? {
        var pooled = pool.withLock { $0.pop(sign: sign) }?.pointer
        if pooled == nil, let fresh = make() {
            if setup(fresh) { pooled = fresh } else {
                free(fresh)
                ERR_clear_error()
            }
        }
        guard let ctx = pooled else { return nil }
        let (result, clean) = body(ctx)
        let kept = clean && pool.withLock { $0.push(Context(pointer: ctx), sign: sign) }
        if !kept { free(ctx) }
        return result
    }

    /// A pooled pure-EdDSA EVP_MD_CTX.
    private func withEdDSAContext<R>(sign: Bool, _ body: (OpaquePointer) -> (R, clean: Bool)) -> R? {
        withPooled(pools, sign: sign, make: { EVP_MD_CTX_new() }, setup: { fresh in
            (sign ? EVP_DigestSignInit(fresh, nil, nil, nil, pointer) : EVP_DigestVerifyInit(fresh, nil, nil, nil, pointer)) == 1
        }, free: { EVP_MD_CTX_free($0) }, body)
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
            Self.signature(size: 64) { out, length in
                EVP_DigestSign(ctx, out, &length, message.bindMemory(to: UInt8.self).baseAddress, message.count)
            }
        } ?? nil
        guard let signature else { throw SecurityError(.cryptoFailure, "signing failed") }
        return signature
    }

    /// Runs an OpenSSL signing call into a buffer of exactly `size` bytes; nil (and an unclean
    /// context) when it fails or writes another length.
    private static func signature(size: Int, _ produce: (UnsafeMutablePointer<UInt8>?, inout Int) -> Int32) -> ([UInt8]?, clean: Bool) {
        var sig = [UInt8](repeating: 0, count: size)
        var length = size
        let ok = sig.withUnsafeMutableBufferPointer { produce($0.baseAddress, &length) }
        guard ok == 1, length == size else {
            ERR_clear_error()
            return (nil, false)
        }
        return (sig, true)
    }

    /// A pooled RSA EVP_PKEY_CTX initialised for verify or sign with PKCS#1 v1.5 padding and SHA-256.
    private func withRSAContext<R>(sign: Bool, _ body: (OpaquePointer) -> (R, clean: Bool)) -> R? {
        withPooled(rsaPools, sign: sign, make: { EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) }, setup: { fresh in
            (sign ? EVP_PKEY_sign_init(fresh) : EVP_PKEY_verify_init(fresh)) == 1
                && EVP_PKEY_CTX_set_rsa_padding(fresh, RSA_PKCS1_PADDING) == 1
                && EVP_PKEY_CTX_set_signature_md(fresh, EVP_sha256()) == 1
        }, free: { EVP_PKEY_CTX_free($0) }, body)
    }

    /// RS256 verification: SHA-256 of `message`, then a PKCS#1 v1.5 check of the digest
    /// through a pooled context (no per-call provider fetch or context setup).
    package func verifyRS256(signature: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer) -> Bool {
        let digest = SHA256.hash(message)
        let ok = withRSAContext(sign: false) { ctx in
            let result = digest.withUnsafeBufferPointer { d in
                EVP_PKEY_verify(ctx, signature.bindMemory(to: UInt8.self).baseAddress, signature.count, d.baseAddress, d.count)
            }
            if result != 1 { ERR_clear_error() }
            return (result == 1, result == 1 || result == 0)
        }
        return ok ?? false
    }

    /// RS256 signing (signature as long as the modulus) through a pooled context.
    package func signRS256(message: UnsafeRawBufferPointer) throws(SecurityError) -> [UInt8] {
        let digest = SHA256.hash(message)
        let size = Int(EVP_PKEY_get_size(pointer))
        let signature: [UInt8]? = withRSAContext(sign: true) { ctx in
            Self.signature(size: size) { out, length in
                digest.withUnsafeBufferPointer { d in EVP_PKEY_sign(ctx, out, &length, d.baseAddress, d.count) }
            }
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
