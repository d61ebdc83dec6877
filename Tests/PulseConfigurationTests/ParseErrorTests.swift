import Testing
@testable import PulseConfiguration

/// Every error the `.env` reader and the key catalogue can give names the file and line (or
/// the variable) and says what is wrong; the TOML reader's errors are in ConfigurationTests.
@Suite struct EnvFileParseTests {
    @Test func readsTheFormsSystemdReads() throws {
        let text = """
            # comment
            PULSE_A=plain
            export PULSE_B = 'literal $HOME \\n'
            PULSE_C="quoted \\"x\\" \\\\ line\\nbreak"

            PULSE_D=
            """
        let entries = try EnvFileParser.parse(text, path: "p.env")
        #expect(entries.map(\.name) == ["PULSE_A", "PULSE_B", "PULSE_C", "PULSE_D"])
        #expect(entries.map(\.line) == [2, 3, 4, 6])
        #expect(entries[0].value == "plain")
        #expect(entries[1].value == "literal $HOME \\n")
        #expect(entries[2].value == "quoted \"x\" \\ line\nbreak")
        #expect(entries[3].value == "")
    }

    @Test(arguments: [
        ("PULSE_A\n", "p.env:1: expected NAME=value"),
        ("\n9PULSE=1\n", "p.env:2: '9PULSE' is not a valid variable name"),
        ("PULSE-A=1\n", "p.env:1: 'PULSE-A' is not a valid variable name"),
        ("PULSE_A=\"open\n", "p.env:1: unterminated quote in the value of PULSE_A"),
        ("PULSE_A='open\n", "p.env:1: unterminated quote in the value of PULSE_A"),
    ])
    func errorsNameTheLine(text: String, expected: String) {
        #expect {
            try EnvFileParser.parse(text, path: "p.env")
        } throws: { error in
            (error as? ConfigurationError)?.description == expected
        }
    }
}

@Suite struct ConfigValueKindTests {
    private let origin = ConfigOrigin.environment(name: "PULSE_X")

    @Test(arguments: [("true", true), ("YES", true), ("on", true), ("1", true), ("false", false), ("off", false), ("0", false)])
    func booleansAcceptTheUsualWords(text: String, expected: Bool) throws {
        let key = ConfigKey("x.flag", .bool, default: .bool(false), "test")
        #expect(try key.parse(text, from: origin) == .bool(expected))
    }

    @Test func everyKindRefusesWhatItIsNot() {
        let cases: [(ConfigKey, String, String)] = [
            (ConfigKey("x.flag", .bool, default: .bool(false), "t"), "maybe", "x.flag: expected boolean, got \"maybe\""),
            (ConfigKey("x.n", .integer(1...10), default: .integer(1), "t"), "11", "x.n: expected integer 1...10, got 11"),
            (ConfigKey("x.n", .integer(1...10), default: .integer(1), "t"), "2.5", "x.n: expected integer 1...10, got \"2.5\""),
            (ConfigKey("x.f", .float(0...1), default: .float(0), "t"), "1.5", "x.f: expected number 0.0...1.0, got 1.5"),
            (ConfigKey("x.c", .choice(["a", "b"]), default: .string("a"), "t"), "c", "x.c: expected one of a, b, got \"c\""),
        ]
        for (key, text, expected) in cases {
            #expect {
                try key.parse(text, from: origin)
            } throws: { error in
                (error as? ConfigurationError)?.description == "environment variable PULSE_X: " + expected
            }
        }
    }

    @Test func integersTakeUnderscoresAndListsSplitOnCommas() throws {
        #expect(try ConfigKey("x.n", .integer(0...100_000), default: .integer(0), "t").parse("10_000", from: origin) == .integer(10_000))
        let list = ConfigKey("x.l", .stringList, default: .array([]), "t")
        #expect(try list.parse(" a, b ,c", from: origin) == .array([.string("a"), .string("b"), .string("c")]))
        #expect(try list.parse("", from: origin) == .array([]))
        // A TOML float where an integer is wanted is refused; an integer where a float is wanted is widened.
        let integer = ConfigKey("x.n", .integer(0...9), default: .integer(0), "t")
        #expect(throws: ConfigurationError.self) { try integer.accept(.float(1), from: origin) }
        #expect(try ConfigKey("x.f", .float(0...9), default: .float(0), "t").accept(.integer(3), from: origin) == .float(3))
    }
}
