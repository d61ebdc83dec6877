import Foundation
import PulseTestSupport
import Testing
@testable import PulseConfiguration

@Test func tomlSubsetParsesEveryValueKind() throws {
    let text = """
    # comment
    top = "x"  # trailing comment
    [gateway]
    host = "0.0.0.0"
    port = 3_000
    [a.b]
    ratio = 0.25
    exp = 1e3
    neg = -7
    on = true
    path = 'C:\\raw\\path'
    esc = "tab\\tquote\\"\\u00e9"
    list = [
      "one", # first
      "two",
    ]
    empty = []
    """
    let entries = try TOMLSubsetParser.parse(text, path: "t.toml")
    let map = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
    #expect(map["top"] == .string("x"))
    #expect(map["gateway.port"] == .integer(3000))
    #expect(map["a.b.ratio"] == .float(0.25))
    #expect(map["a.b.exp"] == .float(1000))
    #expect(map["a.b.neg"] == .integer(-7))
    #expect(map["a.b.on"] == .bool(true))
    #expect(map["a.b.path"] == .string("C:\\raw\\path"))
    #expect(map["a.b.esc"] == .string("tab\tquote\"é"))
    #expect(map["a.b.list"] == .array([.string("one"), .string("two")]))
    #expect(map["a.b.empty"] == .array([]))
    #expect(entries.first { $0.key == "gateway.port" }?.line == 5)
    #expect(entries.first { $0.key == "a.b.empty" }?.line == 17)
}

@Test(arguments: [
    ("[x]\na = 1\n[x]\n", "t.toml:3: table [x] is defined twice"),
    ("a = 1\na = 2\n", "t.toml:2: a: defined twice"),
    ("a = \"open\n", "t.toml:1: unterminated string"),
    ("a = {b = 1}\n", "t.toml:1: inline tables are not supported; use a [table] header"),
    ("a = hello\n", "t.toml:1: 'hello' is not a string, number, boolean or array (strings need quotes)"),
    ("a = 1 2\n", "t.toml:1: unexpected text after the value"),
    ("[[x]]\n", "t.toml:1: arrays of tables ([[...]]) are not supported"),
    ("a = 007\n", "t.toml:1: '007' is not a string, number, boolean or array (strings need quotes)"),
    ("\n\na = [1,\n 2\n", "t.toml:5: expected ',' or ']' in the array for 'a'"),
    ("\"q\" = 1\n", "t.toml:1: quoted keys are not supported"),
])
func tomlSyntaxErrorsNameTheLine(text: String, expected: String) {
    #expect(throws: ConfigurationError.self) { try TOMLSubsetParser.parse(text, path: "t.toml") }
    do {
        _ = try TOMLSubsetParser.parse(text, path: "t.toml")
    } catch {
        #expect(error.description == expected)
    }
}

@Test func precedenceIsDefaultsThenFilesThenEnvironment() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let toml = dir.write("pulse.toml", """
    [gateway]
    port = 3100
    host = "0.0.0.0"
    [auth]
    port = 4100
    [log]
    level = "debug"
    """)
    let env = dir.write("pulse.env", """
    # overrides the toml
    export PULSE_AUTH_PORT=4200
    PULSE_LOG_COLOR='never'
    OTHER_TOOL=ignored
    """)
    let snapshot = try ConfigurationLoader.load(
        files: [toml, env], environment: ["PULSE_AUTH_PORT": "4300", "PULSE_BACKEND_PORT": "3300", "PATH": "/bin"])
    #expect(snapshot.int("gateway.port") == 3100)
    #expect(snapshot.origin("gateway.port") == .file(path: toml, line: 2))
    #expect(snapshot.int("auth.port") == 4300)
    #expect(snapshot.origin("auth.port") == .environment(name: "PULSE_AUTH_PORT"))
    #expect(snapshot.string("log.color") == "never")
    #expect(snapshot.origin("log.color") == .file(path: env, line: 3))
    #expect(snapshot.int("etl.port") == 8000)
    #expect(snapshot.origin("etl.port") == .defaultValue)

    let gateway = ServiceConfiguration(service: .gateway, snapshot: snapshot)
    #expect(gateway == ServiceConfiguration(service: .gateway, host: "0.0.0.0", port: 3100, logLevel: "debug",
                                            logColor: "never"))
    let backend = ServiceConfiguration(service: .backend, snapshot: snapshot)
    #expect(backend.port == 3300 && backend.host == "127.0.0.1")
}

@Test func defaultsMatchTheSeedPorts() throws {
    let snapshot = try ConfigurationLoader.load(files: [], environment: [:])
    let ports = ServiceName.allCases.map { ServiceConfiguration(service: $0, snapshot: snapshot).port }
    #expect(ports == [3000, 4000, 3001, 8000, 5000])
    let supervisor = SupervisorConfiguration(snapshot: snapshot)
    #expect(supervisor == SupervisorConfiguration())
}

@Test func badValuesNameKeyAndPlace() throws {
    let dir = TemporaryDirectory()
    defer { dir.remove() }
    let toml = dir.write("pulse.toml", "[gateway]\nhost = \"h\"\nport = 70000\n")
    #expect {
        try ConfigurationLoader.load(files: [toml], environment: [:])
    } throws: { error in
        (error as? ConfigurationError)?.description == "\(toml):3: gateway.port: expected integer 0...65535, got 70000"
    }
    let typo = dir.write("typo.toml", "[gateway]\nprot = 1\n")
    #expect {
        try ConfigurationLoader.load(files: [typo], environment: [:])
    } throws: { error in
        (error as? ConfigurationError)?.description == "\(typo):2: gateway.prot: unknown configuration key"
    }
    #expect {
        try ConfigurationLoader.load(files: [], environment: ["PULSE_AUTH_PORT": "forty"])
    } throws: { error in
        (error as? ConfigurationError)?.description
            == "environment variable PULSE_AUTH_PORT: auth.port: expected integer 0...65535, got \"forty\""
    }
    #expect {
        try ConfigurationLoader.load(files: [], environment: ["PULSE_LOG_LEVEL": "loud"])
    } throws: { error in
        (error as? ConfigurationError)?.description.hasPrefix(
            "environment variable PULSE_LOG_LEVEL: log.level: expected one of ") == true
    }
    let badEnv = dir.write("bad.env", "PULSE_GATEWAY_PROT=1\n")
    #expect {
        try ConfigurationLoader.load(files: [badEnv], environment: [:])
    } throws: { error in
        (error as? ConfigurationError)?.description == "\(badEnv):1: PULSE_GATEWAY_PROT is not a Pulse setting"
    }
    #expect {
        try ConfigurationLoader.load(files: [dir.path + "/missing.toml"], environment: [:])
    } throws: { error in
        (error as? ConfigurationError)?.description.contains("missing.toml:0: cannot open") == true
    }
}

@Test func unknownPulseVariablesAreReportedNotFatal() throws {
    let snapshot = try ConfigurationLoader.load(
        files: [], environment: ["PULSE_GATWAY_PORT": "1", "PULSE_CONFIG": "", "PULSE_BIN_DIR": "/x"])
    #expect(snapshot.unknownEnvironmentVariables == ["PULSE_GATWAY_PORT"])
}

@Test func shippedConfigFileParsesToTheDefaults() throws {
    let path = packageRoot + "/config/pulse.toml"
    let snapshot = try ConfigurationLoader.load(files: [path], environment: [:])
    let defaults = ConfigurationSnapshot()
    for key in ConfigKeys.all {
        #expect(snapshot.value(key.name) == defaults.value(key.name), "\(key.name) in config/pulse.toml differs from the default")
        #expect(snapshot.origin(key.name) != .defaultValue, "\(key.name) is missing from config/pulse.toml")
    }
}

@Test func docsListExactlyTheKeysTheCodeReads() throws {
    let doc = try String(contentsOfFile: packageRoot + "/docs/configuration.md", encoding: .utf8)
    // Table rows: | `key` | `PULSE_KEY` | type | default | meaning |
    var documented: [String: String] = [:]
    for line in doc.split(separator: "\n") where line.hasPrefix("| `") {
        let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        documented[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] =
            cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
    }
    let code = Dictionary(uniqueKeysWithValues: ConfigKeys.all.map { ($0.name, $0.environmentName) })
    #expect(Set(documented.keys).subtracting(code.keys).isEmpty, "documented but not read")
    #expect(Set(code.keys).subtracting(documented.keys).isEmpty, "read but not documented")
    #expect(documented == code, "environment variable names differ")
}
