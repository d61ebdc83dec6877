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
        guard let ctx = EVP_CIPHER_CTX_new() else { throw SecurityError(.cryptoFailure, "cipher context allocation failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: tagLength)
        var written: Int32 = 0
        var total = 0
        var ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key.bytes, nonce) == 1
        if ok, !associatedData.isEmpty {
            ok = EVP_EncryptUpdate(ctx, nil, &written, associatedData, Int32(associatedData.count)) == 1
        }
        if ok, !plaintext.isEmpty {
            ok = out.withUnsafeMutableBufferPointer {
                EVP_EncryptUpdate(ctx, $0.baseAddress, &written, plaintext, Int32(plaintext.count)) == 1
            }
            total = Int(written)
        }
        if ok {
            ok = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + total, &written) == 1 }
            total += Int(written)
        }
        if ok { ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(tagLength), &tag) == 1 }
        guard ok else { throw SecurityError(.cryptoFailure, "AES-GCM encryption failed") }
        return nonce + out[0..<total] + tag
    }

    /// Opens `nonce ‖ ciphertext ‖ tag`; any change to key, nonce, ciphertext, tag or
    /// associated data gives `decryptionFailed` and no plaintext.
    public static func open(_ sealed: [UInt8], key: AESGCMKey, associatedData: [UInt8] = []) throws(SecurityError) -> [UInt8] {
        let failed = SecurityError(.decryptionFailed, "authenticated decryption failed")
        guard sealed.count >= nonceLength + tagLength else { throw failed }
        let nonce = Array(sealed[0..<nonceLength])
        let ciphertext = Array(sealed[nonceLength..<(sealed.count - tagLength)])
        var tag = Array(sealed[(sealed.count - tagLength)...])
        guard let ctx = EVP_CIPHER_CTX_new() else { throw SecurityError(.cryptoFailure, "cipher context allocation failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0
        var total = 0
        var ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key.bytes, nonce) == 1
        if ok, !associatedData.isEmpty {
            ok = EVP_DecryptUpdate(ctx, nil, &written, associatedData, Int32(associatedData.count)) == 1
        }
        if ok, !ciphertext.isEmpty {
            ok = out.withUnsafeMutableBufferPointer {
                EVP_DecryptUpdate(ctx, $0.baseAddress, &written, ciphertext, Int32(ciphertext.count)) == 1
            }
            total = Int(written)
        }
        if ok { ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(tagLength), &tag) == 1 }
        // DecryptFinal checks the tag; on failure nothing decrypted is returned.
        if ok { ok = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + total, &written) == 1 } }
        guard ok else {
            ERR_clear_error()
            throw failed
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
