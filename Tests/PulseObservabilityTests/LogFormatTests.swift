import Foundation
import Logging
import Testing
@testable import PulseObservability

/// Reads everything written to a pipe's read end so far (the write end must be closed).
private func drain(_ fd: Int32) -> String {
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        data.append(contentsOf: buffer[0..<n])
    }
    return String(decoding: data, as: UTF8.self)
}

/// Logs through a real `LogOutput` on a pipe and returns the lines written.
private func capture(
    color: LogOutput.ColorMode = .auto, clientDirectory: String? = nil,
    clock: @escaping @Sendable () -> LogTimestamp = LogTimestamp.now,
    _ body: (Logger) -> Void
) -> [String] {
    var fds: [Int32] = [0, 0]
    #expect(pipe(&fds) == 0)
    do {
        let output = LogOutput(descriptor: fds[1], color: color, clientDirectory: clientDirectory)
        let logger = Logger(label: "pulse.test") { label in
            PulseLogHandler(label: label, output: output, level: .trace, clock: clock)
        }
        body(logger)
    }
    close(fds[1])
    defer { close(fds[0]) }
    return drain(fds[0]).split(separator: "\n").map(String.init)
}

private let seedInstant: @Sendable () -> LogTimestamp = { LogTimestamp(seconds: 1_756_948_792, microseconds: 225_555) }

@Test func lineMatchesSeedFormatExactly() {
    let lines = capture(clock: seedInstant) { logger in
        logger.with(category: .http).info("Request", metadata: [
            "method": "GET", "url": "http://localhost:8000/", "headers_count": "15",
        ])
    }
    #expect(lines == [
        "2025-09-04T01:19:52.225555Z [info] [HTTP] Request [pulse.test] headers_count=15 method=GET url=http://localhost:8000/"
    ])
}

@Test func liveLinesMatchTheFormatRegex() throws {
    let lines = capture { logger in
        logger.info("Connected", metadata: LogCategory.ws.metadata.merging(["total_connections": "1"]) { a, _ in a })
        logger.warning("Slow query", metadata: ["category": "bulk", "ms": "1200"])
        logger.debug("Plain")
    }
    let pattern = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z \[(trace|debug|info|notice|warning|error|critical)\] \[(HTTP|WS|AUTH|JIRA|GITHUB|ORCH|ETL|SCHED|COLOR|BULK|ERROR|TEST)\] [^\[]+ \[[^\]]+\]( [^ =]+=[^ ]+)*$"#)
    #expect(lines.count == 3)
    for line in lines { #expect(line.wholeMatch(of: pattern) != nil, "\(line)") }
    #expect(lines[0].contains(" [info] [WS] Connected [pulse.test] total_connections=1"))
    #expect(lines[1].contains(" [warning] [BULK] Slow query [pulse.test] ms=1200"))
    #expect(lines[2].contains(" [debug] [ETL] Plain [pulse.test]"))
}

@Test func errorsWithoutCategoryAreFiledUnderError() {
    let lines = capture { logger in
        logger.error("Job failed", metadata: ["job.id": "7"])
        logger.with(category: .jira).error("Fetch failed")
    }
    #expect(lines[0].contains(" [error] [ERROR] Job failed [pulse.test] job.id=7"))
    #expect(lines[1].contains(" [error] [JIRA] Fetch failed"))
}

@Test func valuesAndMessagesStayOnOneLine() {
    let lines = capture(clock: seedInstant) { logger in
        logger.info("two\nlines", metadata: ["q": "a b", "eq": "x=y", "quote": "say \"hi\"", "empty": ""])
    }
    #expect(lines.count == 1)
    #expect(lines[0] == #"2025-09-04T01:19:52.225555Z [info] [ETL] two\nlines [pulse.test] empty="" eq="x=y" q="a b" quote="say \"hi\"""#)
}

@Test func noColourWhenNotATerminal() {
    let plain = capture(color: .auto) { $0.error("Boom") }
    #expect(!plain[0].contains("\u{1B}["))
    let forced = capture(color: .always) { $0.error("Boom") }
    #expect(forced[0].contains("\u{1B}[31m"))
}

/// glibc's pseudo-terminal calls need _XOPEN_SOURCE, which the Glibc module does not define;
/// look them up at run time instead.
private func libc<T>(_ name: String, as type: T.Type) -> T {
    let handle = dlopen(nil, RTLD_NOW)
    return unsafeBitCast(dlsym(handle, name)!, to: type)
}

@Test func colourOnARealTerminal() throws {
    // A pseudo-terminal pair: the handler writes to the slave side, which isatty() accepts.
    let openpt = libc("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    let grant = libc("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    let unlock = libc("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    let name = libc("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
    let master = openpt(O_RDWR | O_NOCTTY)
    try #require(master >= 0)
    defer { close(master) }
    #expect(grant(master) == 0 && unlock(master) == 0)
    let slave = open(String(cString: try #require(name(master))), O_RDWR | O_NOCTTY)
    try #require(slave >= 0)
    defer { close(slave) }
    #expect(isatty(slave) == 1)
    #expect(LogOutput(descriptor: slave, color: .auto).colorize)
    #expect(!LogOutput(descriptor: slave, color: .auto, environment: ["NO_COLOR": "1"]).colorize)
    #expect(!LogOutput(descriptor: slave, color: .never).colorize)
}

@Test func secretsAreRedacted() {
    let lines = capture { logger in
        logger.with(category: .auth).info("Login", metadata: [
            "user": "ada", "password": "hunter2", "db.Password": "pw1", "refresh_token": "rt-123",
            "headers": ["Authorization": "Bearer abc.def", "accept": "json"],
            "api_key": .array(["k1", "k2"]),
        ])
    }
    let line = lines[0]
    for secret in ["hunter2", "pw1", "rt-123", "abc.def", "k1", "k2"] {
        #expect(!line.contains(secret), "leaked \(secret)")
    }
    #expect(line.contains("password=[REDACTED]"))
    #expect(line.contains(#"headers="{Authorization=[REDACTED],accept=json}""#))
    #expect(line.contains("user=ada"))
}

@Test func clientLinesAlsoGoToTheClientsFile() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-logs-\(UUID())").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let lines = capture(color: .always, clientDirectory: dir) { logger in
        logger.info("Sync", metadata: ["client": "acme"])
        logger.info("Sync", metadata: ["client": "../evil"])
        logger.info("No client")
    }
    #expect(lines.count == 3)
    let acme = try String(contentsOfFile: dir + "/acme.log", encoding: .utf8)
    #expect(acme.hasSuffix("Sync [pulse.test] client=acme\n"))
    #expect(!acme.contains("\u{1B}["), "client files never carry colour")
    #expect(FileManager.default.fileExists(atPath: dir + "/___evil.log"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["___evil.log", "acme.log"])
}
