import Testing
@testable import PulseSecurity

@Suite struct PasswordHashTests {
    /// RFC 7914 §11, PBKDF2-HMAC-SHA256 vector 1.
    @Test func pbkdf2RFC7914Vector1() {
        let out = PasswordHasher.pbkdf2(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(Hex.encode(out) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    /// RFC 7914 §11, PBKDF2-HMAC-SHA256 vector 2 (80,000 iterations).
    @Test func pbkdf2RFC7914Vector2() {
        let out = PasswordHasher.pbkdf2(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80_000, length: 64)
        #expect(Hex.encode(out) == "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test func hashCarriesAlgorithmAndParameters() throws {
        let hasher = try PasswordHasher(iterations: 1_000)
        let stored = hasher.hash("correct horse")
        #expect(stored.hasPrefix("$pbkdf2-sha256$i=1000$"))
        let parsed = try StoredPasswordHash(parsing: stored)
        #expect(parsed.algorithm == "pbkdf2-sha256")
        #expect(parsed.iterations == 1_000)
        #expect(parsed.salt.count == 16)
        #expect(parsed.hash.count == 32)
    }

    @Test func verifyAcceptsRightAndRejectsWrongPassword() throws {
        let hasher = try PasswordHasher(iterations: 1_000)
        let stored = hasher.hash("pässwörd ✓")
        #expect(try hasher.verify("pässwörd ✓", against: stored))
        #expect(try !hasher.verify("pässwörd", against: stored))
        #expect(try !hasher.verify("", against: stored))
    }

    @Test func saltsAreUniquePerHash() throws {
        let hasher = try PasswordHasher(iterations: 1_000)
        #expect(hasher.hash("same") != hasher.hash("same"))
    }

    @Test func verificationUsesStoredParametersNotPolicy() throws {
        let weak = try PasswordHasher(iterations: 1_000).hash("pw")
        #expect(try PasswordHasher(iterations: 5_000).verify("pw", against: weak))
    }

    @Test func productionPolicyIs600kAndFlagsWeakerHashes() throws {
        #expect(PasswordHasher.production.iterations == 600_000)
        #expect(PasswordHasher.production.saltLength == 16)
        let weak = try PasswordHasher(iterations: 1_000).hash("pw")
        #expect(PasswordHasher.production.needsRehash(weak))
        let strong = PasswordHasher.format(iterations: 600_000, salt: SecureRandom.bytes(16), hash: SecureRandom.bytes(32))
        #expect(!PasswordHasher.production.needsRehash(strong))
        #expect(PasswordHasher.production.needsRehash("$2b$12$bcrypt-style"))
    }

    @Test(arguments: [
        "", "plain", "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0$", "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=0$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=99999999$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
        "$pbkdf2-sha256$i=+100$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "$scrypt$ln=15$x$y",
    ])
    func malformedStoredHashIsAnError(stored: String) throws {
        expectError(.invalidInput) { _ = try PasswordHasher(iterations: 1_000).verify("pw", against: stored) }
    }

    @Test func rejectsParametersOutOfRange() {
        expectError(.invalidInput) { _ = try PasswordHasher(iterations: 0) }
        expectError(.invalidInput) { _ = try PasswordHasher(iterations: 1_000, saltLength: 8) }
    }
}
