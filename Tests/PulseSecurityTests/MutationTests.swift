import Foundation
import Testing
@testable import PulseSecurity

/// Seeded generator so the mutation test is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Directed fuzzing (as jwt-kit's FuzzTests): thousands of byte-level mutations of a valid
/// token. None may verify, and every rejection must be a SecurityError that counts as an
/// authentication failure (never a crash, never another error type).
@Suite struct MutationTests {
    @Test func mutatedTokensNeverVerify() throws {
        let key = Ed25519SigningKey.generate()
        let token = Array(try JWT.sign(accessClaims(), with: key).utf8)
        let policy = testPolicy()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u{0}".utf8)
        var rng = SplitMix64(state: 0x5EC0_0001)
        var codes: [SecurityError.Code: Int] = [:]
        for _ in 0..<3000 {
            var t = token
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<t.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: t[i] = alphabet.randomElement(using: &rng)!
                case 1: t.insert(alphabet.randomElement(using: &rng)!, at: i)
                case 2: if t.count > 1 { t.remove(at: i) }
                default: t[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
                }
            }
            if t == token { continue }
            let text = String(decoding: t, as: UTF8.self)
            if Array(text.utf8) == token { continue }
            do {
                _ = try JWT.verify(text, policy: policy, now: epoch, key: { $0 == key.keyID ? key.verificationKey : nil })
                Issue.record("a mutated token verified: \(text)")
            } catch {
                #expect(error.isAuthenticationFailure)
                codes[error.code, default: 0] += 1
            }
        }
        // The mutations reach the deep checks too, not only the base64url layer.
        #expect(codes[.badSignature, default: 0] > 100)
        #expect(codes[.malformedToken, default: 0] > 100)
    }
}
