import Testing
@testable import PulseWebSocket

@Suite struct UTF8ValidatorTests {
    static let valid: [[UInt8]] = [
        [], Array("plain ascii, longer than eight bytes".utf8), Array("κόσμε".utf8), Array("𝄞 music".utf8),
        [0xEF, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xED, 0x9F, 0xBF], [0xE0, 0xA0, 0x80],
    ]
    static let invalid: [[UInt8]] = [
        [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80],
        [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
        Array("κόσμε".utf8) + [0xED, 0xA0, 0x80] + Array("edited".utf8),
    ]

    @Test(arguments: valid) func acceptsValidInEverySplit(bytes: [UInt8]) {
        for cut in 0...bytes.count {
            var v = UTF8Validator()
            #expect(v.validate(bytes[..<cut]) && v.validate(bytes[cut...]) && v.isComplete)
            #expect(String(validating: bytes, as: UTF8.self) != nil)  // agrees with the stdlib
        }
    }

    @Test(arguments: invalid) func rejectsInvalid(bytes: [UInt8]) {
        var whole = UTF8Validator()
        let wholeOK = whole.validate(bytes)
        #expect(!wholeOK)
        var oneByOne = UTF8Validator()
        #expect(!bytes.allSatisfy { oneByOne.validate([$0]) })
        #expect(String(validating: bytes, as: UTF8.self) == nil)
    }

    @Test func truncatedSequenceIsIncomplete() {
        var v = UTF8Validator()
        let first = v.validate([0xE2, 0x82])
        #expect(first && !v.isComplete)
        let second = v.validate([0xAC])
        #expect(second)
        #expect(v.isComplete)
    }

    @Test func agreesWithStdlibOnPseudoRandomInput() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<3000 {
            let bytes: [UInt8] = (0..<Int(seed % 12)).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let r = UInt8(truncatingIfNeeded: seed >> 56)
                return r < 0x40 ? 0x41 : r  // bias towards multibyte bytes
            }
            var v = UTF8Validator()
            let ours = v.validate(bytes) && v.isComplete
            #expect(ours == (String(validating: bytes, as: UTF8.self) != nil), "\(bytes)")
        }
    }
}
