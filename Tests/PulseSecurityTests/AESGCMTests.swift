import Testing
@testable import PulseSecurity

@Suite struct AESGCMTests {
    static let zeroKey = try! AESGCMKey(bytes: [UInt8](repeating: 0, count: 32))

    /// McGrew–Viega GCM spec (NIST) test case 13: AES-256, empty plaintext.
    @Test func nistTestCase13() throws {
        let sealed = try AESGCM.seal([], key: Self.zeroKey, nonce: [UInt8](repeating: 0, count: 12), associatedData: [])
        #expect(Hex.encode(sealed.dropFirst(12)) == "530f8afbc74536b9a963b4f1c4cb738b")
    }

    /// Test case 14: AES-256, one zero block.
    @Test func nistTestCase14() throws {
        let sealed = try AESGCM.seal([UInt8](repeating: 0, count: 16), key: Self.zeroKey, nonce: [UInt8](repeating: 0, count: 12), associatedData: [])
        #expect(Hex.encode(sealed.dropFirst(12)) == "cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")
        #expect(try AESGCM.open(sealed, key: Self.zeroKey) == [UInt8](repeating: 0, count: 16))
    }

    /// Test case 16: AES-256 with associated data.
    @Test func nistTestCase16WithAssociatedData() throws {
        let key = try AESGCMKey(bytes: Hex.decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"))
        let nonce = try Hex.decode("cafebabefacedbaddecaf888")
        let plaintext = try Hex.decode("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = try Hex.decode("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce, associatedData: aad)
        #expect(Hex.encode(sealed.dropFirst(12)) == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" + "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try AESGCM.open(sealed, key: key, associatedData: aad) == plaintext)
    }

    @Test func roundTripUsesFreshNonces() throws {
        let key = AESGCMKey.generate()
        let secret = Array("jira-api-token-xyz".utf8)
        let a = try AESGCM.seal(secret, key: key, associatedData: Array("client-1/jira".utf8))
        let b = try AESGCM.seal(secret, key: key, associatedData: Array("client-1/jira".utf8))
        #expect(a != b)
        #expect(try AESGCM.open(a, key: key, associatedData: Array("client-1/jira".utf8)) == secret)
    }

    @Test(arguments: [0, 12, 20, 35])
    func tamperingAnyByteIsDetected(index: Int) throws {
        let key = AESGCMKey.generate()
        var sealed = try AESGCM.seal(Array("0123456789abcdef0123".utf8), key: key)
        sealed[index] ^= 0x01  // nonce, ciphertext, ciphertext, tag
        expectError(.decryptionFailed) { _ = try AESGCM.open(sealed, key: key) }
    }

    @Test func wrongAssociatedDataOrKeyOrTruncationFails() throws {
        let key = AESGCMKey.generate()
        let sealed = try AESGCM.seal(Array("secret".utf8), key: key, associatedData: Array("client-1".utf8))
        expectError(.decryptionFailed) { _ = try AESGCM.open(sealed, key: key, associatedData: Array("client-2".utf8)) }
        expectError(.decryptionFailed) { _ = try AESGCM.open(sealed, key: AESGCMKey.generate(), associatedData: Array("client-1".utf8)) }
        expectError(.decryptionFailed) { _ = try AESGCM.open(Array(sealed.prefix(20)), key: key) }
    }

    @Test func configuredKeyParsingGivesClearErrors() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try AESGCMKey(configured: hex).bytes == [UInt8](repeating: 0xAB, count: 32))
        #expect(try AESGCMKey(configured: " " + Base64URL.encode([UInt8](repeating: 7, count: 32)) + "\n").bytes.count == 32)
        expectError(.invalidKey) { _ = try AESGCMKey(configured: "too-short") }
        expectError(.invalidKey) { _ = try AESGCMKey(configured: String(repeating: "ab", count: 16)) }
        expectError(.invalidKey) { _ = try AESGCMKey(bytes: [1, 2, 3]) }
        let error = SecurityError(.invalidKey, "encryption key must be exactly 32 bytes (AES-256)")
        #expect(!error.description.contains(hex))
    }
}

@Suite struct CredentialSealerTests {
    @Test func credentialsOpenOnlyInTheirOwnRow() throws {
        let sealer = CredentialSealer(key: .generate())
        let sealed = try sealer.seal(#"{"token":"ghp_x"}"#, clientID: 1, integrationID: 7)
        #expect(try sealer.open(sealed, clientID: 1, integrationID: 7) == #"{"token":"ghp_x"}"#)
        #expect(throws: SecurityError.self) { try sealer.open(sealed, clientID: 2, integrationID: 7) }
        #expect(throws: SecurityError.self) { try sealer.open(sealed, clientID: 1, integrationID: 8) }
    }
}
