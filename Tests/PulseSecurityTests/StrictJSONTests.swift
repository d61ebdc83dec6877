import Foundation
import Testing
@testable import PulseSecurity

@Suite struct StrictJSONTests {
    func parse(_ text: String) throws -> [String: JSONValue] { try StrictJSON.object(Array(text.utf8)) }

    @Test func parsesTheJSONWeUse() throws {
        let v = try parse(#" {"a":"x\"y\\z\/\n\u00e9\ud83d\ude00","n":-12.5e2,"z":0,"t":true,"f":false,"u":null,"l":[1,[],{}],"o":{"k":"v"}} "#)
        #expect(v["a"] == .string("x\"y\\z/\né😀"))
        #expect(v["n"] == .number(-1250))
        #expect(v["z"] == .number(0))
        #expect(v["t"] == .bool(true) && v["f"] == .bool(false) && v["u"] == .null)
        #expect(v["l"] == .array([.number(1), .array([]), .object([:])]))
        #expect(v["o"] == .object(["k": .string("v")]))
        #expect(try parse("{}").isEmpty)
    }

    @Test(arguments: [
        #"{"alg":"EdDSA","alg":"none"}"#,  // duplicate member
        #"{"a":1,}"#, #"{"a":1"#, #"{"a" 1}"#, #"{a:1}"#, #"{'a':1}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#,
        #"{"a":+1}"#, #"{"a":1e}"#, #"{"a":NaN}"#, #"{"a":1e999}"#, #"{"a":tru}"#, #"{"a":"\x"}"#, #"{"a":"\ud800"}"#,
        #"{"a":"\udc00x"}"#, #"{"a":"\u12"}"#, "{\"a\":\"tab\there\"}", #"{"a":1} x"#, #"[{"a":1}]"#, #""str""#, "",
        String(repeating: #"{"a":"#, count: 20) + "1" + String(repeating: "}", count: 20),
    ])
    func refusesMalformedOrAmbiguousJSON(text: String) {
        expectError(.malformedToken) { _ = try parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        expectError(.malformedToken) { _ = try StrictJSON.object([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D]) }
    }

    /// A signed token whose header repeats `alg` is refused, whatever order the values are in.
    @Test func signedTokenWithDuplicateMembersIsRejected() throws {
        let key = Ed25519SigningKey.generate()
        let policy = testPolicy()
        for header in [#"{"alg":"EdDSA","alg":"none","kid":"\#(key.keyID)","typ":"at+jwt"}"#,
                       #"{"alg":"EdDSA","kid":"\#(key.keyID)","typ":"at+jwt"}"#] {
            for payload in [payloadJSON(accessClaims()), #"{"sub":"a","sub":"b"}"#] {
                let input = Base64URL.encode(header) + "." + Base64URL.encode(payload)
                let token = input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
                let expectOK = !header.contains("none") && !payload.contains(#""sub":"b""#)
                let lookup: (String) -> VerificationKey? = { $0 == key.keyID ? key.verificationKey : nil }
                if expectOK {
                    _ = try JWT.verify(token, policy: policy, now: epoch, key: lookup)
                } else {
                    expectError(.malformedToken) { _ = try JWT.verify(token, policy: policy, now: epoch, key: lookup) }
                }
            }
        }
    }

    @Test func negativeOrHugeDatesAreRefused() throws {
        expectError(.malformedToken) { _ = try JWTClaims(strictJSON: Array(#"{"exp":-1}"#.utf8)) }
        expectError(.malformedToken) { _ = try JWTClaims(strictJSON: Array(#"{"exp":1e20}"#.utf8)) }
        #expect(try JWTClaims(strictJSON: Array(#"{"exp":1700000000.9}"#.utf8)).expiresAt == 1_700_000_000)
    }
}

@Suite struct JSONWriterTests {
    static let awkward = ["plain", "quote\" backslash\\ slash/", "ctl\u{0}\u{1}\u{1F}\n\r\t", "é中😀", ""]

    @Test(arguments: awkward)
    func claimsRoundTripThroughOurReaderAndFoundation(text: String) throws {
        var claims = accessClaims()
        claims.subject = text
        claims.roles = [text, "x"]
        claims.email = text
        claims.emailVerified = false
        claims.audience = ["a", text]
        let bytes = claims.jsonBytes()
        #expect(try JWTClaims(strictJSON: bytes) == claims)
        // An independent parser reads the same values.
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(object?["sub"] as? String == text)
        #expect(object?["roles"] as? [String] == [text, "x"])
        #expect(object?["email_verified"] as? Bool == false)
        // And agrees with the Encodable form.
        #expect(try JWTClaims(strictJSON: Array(payloadJSON(claims).utf8)) == claims)
    }

    @Test func singleAudienceIsAStringAndHeaderIsCompact() throws {
        var claims = JWTClaims(issuer: "i", audience: ["only"], expiresAt: 5)
        #expect(String(decoding: claims.jsonBytes(), as: UTF8.self) == #"{"iss":"i","aud":"only","exp":5}"#)
        claims.audience = []
        #expect(String(decoding: claims.jsonBytes(), as: UTF8.self) == #"{"iss":"i","aud":[],"exp":5}"#)
        #expect(String(decoding: JWTHeader(alg: "EdDSA", kid: "k", typ: "at+jwt").jsonBytes(), as: UTF8.self)
            == #"{"alg":"EdDSA","kid":"k","typ":"at+jwt"}"#)
    }
}
