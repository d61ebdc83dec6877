import COpenSSL

/// A 256-bit AES key (signing keys and integration credentials at rest). Comes from
/// configuration as 32 raw bytes, base64 or hex; anything else is a clear error.
public struct AESGCMKey: Sendable {
    package let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(SecurityError) {
        guard bytes.count == 32 else {
            throw SecurityError(.invalidKey, "encryption key must be exactly 32 bytes (AES-256)")
        }
        self.bytes = bytes
    }

    /// Parses a configured key: 64 hex digits, or 43 base64url characters (no padding).
    public init(configured text: String) throws(SecurityError) {
        let trimmed = text.trimmingWhitespace()
        let decoded: [UInt8]?
        if trimmed.utf8.count == 64 {
            decoded = try? Hex.decode(trimmed)
        } else {
            decoded = try? Base64URL.decode(trimmed)
        }
        guard let decoded, decoded.count == 32 else {
            throw SecurityError(.invalidKey, "encryption key must be 32 bytes given as 64 hex digits or 43 base64url characters")
        }
        self.bytes = decoded
    }

    /// A new random key (for `pulse` setup and tests).
    public static func generate() -> AESGCMKey { AESGCMKey(unchecked: SecureRandom.bytes(32)) }

    private init(unchecked: [UInt8]) { bytes = unchecked }
}

/// AES-256-GCM with a random 96-bit nonce and a 128-bit tag. `seal` output is
/// `nonce ‖ ciphertext ‖ tag`; associated data binds the ciphertext to its context (for
/// example the row's client id and column), so a value copied to another row fails to open.
public enum AESGCM {
    public static let nonceLength = 12
    public static let tagLength = 16

    public static func seal(_ plaintext: [UInt8], key: AESGCMKey, associatedData: [UInt8] = []) throws(SecurityError) -> [UInt8] {
        try seal(plaintext, key: key, nonce: SecureRandom.bytes(nonceLength), associatedData: associatedData)
    }

    /// Seal with a caller-chosen nonce. Only for known-answer tests: reusing a nonce under
    /// one key destroys GCM's security.
    public static func seal(_ plaintext: [UInt8], key: AESGCMKey, nonce: [UInt8], associatedData: [UInt8]) throws(SecurityError) -> [UInt8] {
        guard nonce.count == nonceLength else { throw SecurityError(.invalidInput, "AES-GCM nonce must be 12 bytes") }
        var tag = [UInt8](repeating: 0, count: tagLength)
        guard let ciphertext = try cipher(encrypt: true, key: key, nonce: nonce, associatedData: associatedData, input: plaintext, tag: &tag)
        else { throw SecurityError(.cryptoFailure, "AES-GCM encryption failed") }
        return nonce + ciphertext + tag
    }

    /// Opens `nonce ‖ ciphertext ‖ tag`; any change to key, nonce, ciphertext, tag or
    /// associated data gives `decryptionFailed` and no plaintext.
    public static func open(_ sealed: [UInt8], key: AESGCMKey, associatedData: [UInt8] = []) throws(SecurityError) -> [UInt8] {
        let failed = SecurityError(.decryptionFailed, "authenticated decryption failed")
        guard sealed.count >= nonceLength + tagLength else { throw failed }
        let nonce = Array(sealed[0..<nonceLength])
        let ciphertext = Array(sealed[nonceLength..<(sealed.count - tagLength)])
        var tag = Array(sealed[(sealed.count - tagLength)...])
        guard let plaintext = try cipher(encrypt: false, key: key, nonce: nonce, associatedData: associatedData, input: ciphertext, tag: &tag)
        else { throw failed }
        return plaintext
    }

    /// One GCM pass through EVP_Cipher*. Encrypting fills `tag`; decrypting checks it (in
    /// CipherFinal) and returns nil on mismatch, so unauthenticated plaintext never escapes.
    private static func cipher(encrypt: Bool, key: AESGCMKey, nonce: [UInt8], associatedData: [UInt8], input: [UInt8],
        tag: inout [UInt8]) throws(SecurityError) -> [UInt8]? {
        // OpenSSL takes int lengths; secrets at rest are small, refuse anything near the limit.
        guard input.count < 1 << 30, associatedData.count < 1 << 30 else {
            throw SecurityError(.invalidInput, "AES-GCM input is too large")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw SecurityError(.cryptoFailure, "cipher context allocation failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var total = 0
        var ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nil, key.bytes, nonce, encrypt ? 1 : 0) == 1
        if ok, !associatedData.isEmpty {
            ok = EVP_CipherUpdate(ctx, nil, &written, associatedData, Int32(associatedData.count)) == 1
        }
        if ok, !input.isEmpty {
            ok = out.withUnsafeMutableBufferPointer { EVP_CipherUpdate(ctx, $0.baseAddress, &written, input, Int32(input.count)) == 1 }
            total = Int(written)
        }
        if ok, !encrypt { ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 }
        if ok {
            ok = out.withUnsafeMutableBufferPointer { EVP_CipherFinal_ex(ctx, $0.baseAddress! + total, &written) == 1 }
            total += Int(written)
        }
        if ok, encrypt { ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1 }
        guard ok else {
            ERR_clear_error()
            return nil
        }
        return Array(out[0..<total])
    }
}

extension String {
    package func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
