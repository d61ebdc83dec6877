import Foundation
import Testing

@testable import PulseHTTP

/// `JSONBodyEncoder` against Foundation's `JSONEncoder`: the same bytes for every value with
/// sorted keys (the platform's setting), the same document without.
@Suite struct JSONBodyEncoderTests {
    static let sortedConfigurations: [JSONBodyEncoder] = [
        .platform,
        JSONBodyEncoder(sortedKeys: true),
        JSONBodyEncoder(keyEncodingStrategy: .convertToSnakeCase, dateEncodingStrategy: .secondsSince1970, sortedKeys: true),
        JSONBodyEncoder(dateEncodingStrategy: .millisecondsSince1970, sortedKeys: true, escapesSlashes: false),
    ]

    func expectSameBytes<T: Encodable>(_ value: T, _ encoder: JSONBodyEncoder = .platform, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try encoder.encode(value)
        let foundation = [UInt8](try encoder.makeFoundationEncoder().encode(value))
        #expect(ours == foundation, "\(firstDifference(ours, foundation))", sourceLocation: sourceLocation)
    }

    @Test(arguments: 0..<4)
    func randomDocumentsMatchJSONEncoderByteForByte(configuration: Int) throws {
        var rng = SeededGenerator(state: 0xC0FFEE + UInt64(configuration))
        var streamed = 0
        for _ in 0..<300 {
            let value = TestValues.value(&rng)
            try expectSameBytes(value, Self.sortedConfigurations[configuration])
            var bytes: [UInt8] = []
            if (try? Self.sortedConfigurations[configuration].encodeStreaming(value, appendingTo: &bytes)) != nil { streamed += 1 }
        }
        // Only keys that collide after snake_case conversion may need the fallback.
        #expect(streamed >= 290)
    }

    @Test func unsortedOutputIsTheSameDocument() throws {
        var rng = SeededGenerator(state: 42)
        let encoder = JSONBodyEncoder()
        for _ in 0..<200 {
            let value = TestValue.array([TestValues.value(&rng)])
            let ours = try JSONSerialization.jsonObject(with: Data(try encoder.encode(value)))
            let theirs = try JSONSerialization.jsonObject(with: try encoder.makeFoundationEncoder().encode(value))
            #expect((ours as! NSArray).isEqual(theirs as! NSArray))
        }
    }

    @Test func stringsEscapeLikeJSONEncoder() throws {
        var every = ""
        for value in 0..<0x80 { every.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        for encoder in [JSONBodyEncoder.platform, JSONBodyEncoder()] {
            try expectSameBytes([every, "é😀\u{2028}\u{FFFE}", "", "\\\"/"], encoder)
        }
        #expect(try JSONBodyEncoder.platform.encode("a\"b\\c/\u{8}\u{C}\n\r\t\u{1}\u{1F}") == Array(#""a\"b\\c/\b\f\n\r\t\u0001\u001f""#.utf8))
    }

    @Test func numbersRoundTripAndMatch() throws {
        var rng = SeededGenerator(state: 7)
        let doubles = TestValues.edgeDoubles + (0..<2000).map { _ in TestValues.double(&rng) }
        try expectSameBytes(doubles)
        let decoded = try JSONDecoder().decode([Double].self, from: Data(try JSONBodyEncoder.platform.encode(doubles)))
        #expect(decoded.map(\.bitPattern) == doubles.map(\.bitPattern))
        try expectSameBytes((0..<2000).map { _ in TestValues.float(&rng) })
        try expectSameBytes([Int.min, Int.max, 0, -1, 9, 10, -10, 99, 100])
        try expectSameBytes([UInt64.max, 0])
        try expectSameBytes([Int8.min, Int8.max])
        try expectSameBytes([Decimal(string: "12.340")!, Decimal(0), Decimal(string: "-1e-20")!])
    }

    @Test func datesMatchTheISO8601Strategy() throws {
        var rng = SeededGenerator(state: 9)
        try expectSameBytes((0..<3000).map { _ in TestValues.date(&rng) })
        for configuration in Self.sortedConfigurations { try expectSameBytes([Date(timeIntervalSince1970: 1_764_091_200.25)], configuration) }
    }

    @Test func keysConvertToSnakeCaseLikeJSONEncoder() throws {
        var keys = [
            "myURLProperty", "URLThing", "aBC", "ABc", "ABC", "a", "", "_private", "already_snake", "x1Y2", "userID", "HTTPServerURL",
            "üBer", "straßeName", "aÉb", "a\r\nB", "a\u{301}Bc", "_", "__a__B", "a1B2C3", "99Bottles", "iOS", "aB_C", "isHTML5",
        ]
        var rng = SeededGenerator(state: 11)
        keys += (0..<500).map { _ in TestValues.key(&rng) }
        for key in keys {
            try expectSameBytes(TestValue.object([(key, .int(1))]))
        }
    }

    @Test func nilIsOmittedByEncodeIfPresentAndNullOtherwise() throws {
        struct Record: Codable { var name: String?; var count: Int?; var tags: [String?] }
        let record = Record(name: nil, count: 3, tags: ["a", nil])
        #expect(String(decoding: try JSONBodyEncoder.platform.encode(record), as: UTF8.self) == #"{"count":3,"tags":["a",null]}"#)
        try expectSameBytes(record)
        try expectSameBytes([Record?.none, record])
    }

    @Test func nonFiniteNumbersAreAClearErrorAndLeaveTheBufferAlone() throws {
        struct Holder: Encodable { var values: [String: [Double]] }
        for bad in [Double.nan, .infinity, -.infinity] {
            var buffer: [UInt8] = Array("prefix".utf8)
            #expect {
                try JSONBodyEncoder.platform.encode(Holder(values: ["a": [1, bad]]), appendingTo: &buffer)
            } throws: { error in
                guard case EncodingError.invalidValue(_, let context) = error else { return false }
                return context.codingPath.map(\.stringValue) == ["values", "a", "Index 1"] && context.debugDescription.contains("NaN or infinity")
            }
            #expect(buffer == Array("prefix".utf8))
        }
        #expect(throws: EncodingError.self) { try JSONBodyEncoder.platform.encode([Float.nan]) }
        #expect(throws: EncodingError.self) { try JSONBodyEncoder.platform.encode(Double.infinity) }
    }

    @Test func topLevelFragmentsAndEmptyValues() throws {
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }
        try expectSameBytes("text/with/slash")
        try expectSameBytes(3.0)
        try expectSameBytes(Date(timeIntervalSince1970: 0))
        try expectSameBytes(Data([0xFB, 0xFF]), JSONBodyEncoder())
        try expectSameBytes([Nothing(), Nothing()])
        try expectSameBytes(["a": Nothing()])
        #expect(throws: EncodingError.self) { try JSONBodyEncoder.platform.encode(Nothing()) }
    }

    @Test func httpResponseJSONIsWhatJSONCodingWrote() throws {
        struct Item: Codable { var id: Int; var displayName: String; var createdAt: Date; var score: Double; var tags: [String]; var owner: [String: String]? }
        let items = (0..<10).map {
            Item(id: $0, displayName: "User \($0) \"quoted\"/ü", createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double($0) * 3601.5), score: Double($0) * 1.5,
                 tags: ["alpha", "beta"], owner: $0 % 2 == 0 ? ["userName": "x"] : nil)
        }
        var streamed: [UInt8] = []
        try JSONBodyEncoder.platform.encodeStreaming(items, appendingTo: &streamed)  // no fallback needed
        let response = try HTTPResponse.json(items)
        #expect(response.body.bytes == streamed)
        #expect(response.body.bytes == [UInt8](try JSONCoding.makeEncoder().encode(items)))
        #expect(response.headers["Content-Type"] == "application/json")
    }
}
