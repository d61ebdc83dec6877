import Foundation
import Testing
@testable import PulseSecurity

@Suite struct Base64URLTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(plain) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test func urlAlphabetRoundTrip() throws {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x3E]
        #expect(Base64URL.encode(bytes) == "-_-_AD4")
        #expect(try Base64URL.decode("-_-_AD4") == bytes)
        let random = SecureRandom.bytes(1000)
        #expect(try Base64URL.decode(Base64URL.encode(random)) == random)
    }

    /// Every length (all tail shapes), compared with Foundation's decoder; every foreign
    /// character in every position of a group and non-zero tail bits are refused.
    @Test func everyLengthAndPositionAgainstFoundation() throws {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(length)
            let encoded = Base64URL.encode(bytes)
            #expect(try Base64URL.decode(encoded) == bytes)
            var standard = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
            #expect(Data(base64Encoded: standard).map(Array.init) == bytes)
            for position in [0, encoded.count / 2, encoded.count - 1] where !encoded.isEmpty {
                var chars = Array(encoded.utf8)
                chars[position] = UInt8(ascii: "*")
                expectError(.invalidInput) { _ = try Base64URL.decode(String(decoding: chars, as: UTF8.self)) }
            }
            if encoded.count % 4 != 0 {  // a tail: the last character's unused bits must be zero
                var chars = Array(encoded.utf8)
                chars[chars.count - 1] = UInt8(ascii: "_")  // 63: all low bits set
                expectError(.invalidInput) { _ = try Base64URL.decode(String(decoding: chars, as: UTF8.self)) }
            }
        }
    }

    @Test(arguments: ["Zg==", "Zm9v\n", "Zm+v", "Zm/v", "Z", "Zh", "Zm9=", "Zm 9v", "é"])
    func rejectsNonCanonicalInput(input: String) {
        expectError(.invalidInput) { _ = try Base64URL.decode(input) }
    }
}

@Suite struct DigestTests {
    @Test func sha256KnownAnswer() {
        #expect(Hex.encode(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    /// RFC 4231 test case 2.
    @Test func hmacSHA256RFC4231() {
        let mac = HMACSHA256.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACSHA256.isValid(mac, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
        var bad = mac
        bad[31] ^= 1
        #expect(!HMACSHA256.isValid(bad, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!ConstantTime.equals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(ConstantTime.equals("state-x", "state-x"))
        #expect(!ConstantTime.equals("state-x", "state-y"))
    }

    @Test func randomTokensAreDistinctAndSized() {
        let tokens = Set((0..<200).map { _ in SecureRandom.token() })
        #expect(tokens.count == 200)
        #expect(tokens.allSatisfy { $0.utf8.count == 43 })
        #expect(SecureRandom.bytes(16).count == 16)
    }

    @Test func hexRoundTripAndRejects() throws {
        #expect(try Hex.decode("00ff10Ab") == [0, 255, 16, 171])
        expectError(.invalidInput) { _ = try Hex.decode("abc") }
        expectError(.invalidInput) { _ = try Hex.decode("zz") }
    }
}
