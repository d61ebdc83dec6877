import Foundation
import PulseHTTPClient
import PulseSandbox
import Testing

/// `pulse sandbox` as a real process: it prints its URL, serves both vendors there, and stops
/// cleanly on SIGTERM.
@Suite(.timeLimit(.minutes(2))) struct SandboxCommandTests {
    /// The `pulse` executable beside this test bundle.
    static var pulse: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return (exe as NSString).deletingLastPathComponent + "/pulse"
    }

    @Test func servesUntilSIGTERM() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.pulse), "build the pulse product first (\(Self.pulse))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.pulse)
        process.arguments = ["sandbox", "--port", "0", "--scale", "test", "--seed", "5", "--faults", "latency=1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var output = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while !output.contains("Stop with"), ContinuousClock.now < deadline, process.isRunning {
            let chunk = pipe.fileHandleForReading.availableData
            output += String(decoding: chunk, as: UTF8.self)
        }
        let url = try #require(output.firstRange(of: #/http://127\.0\.0\.1:\d+/#).map { String(output[$0]) }, "\(output)")
        #expect(output.contains("3 repositories") && output.contains("projects PAY, WEB"))
        let http = try HTTPClient()
        defer { http.shutdown() }
        let client = SandboxClient(http: http, base: url)
        #expect(try await client.github("/rate_limit").status.code == 200)
        #expect(try await client.github("/repos/acme-pay/api/commits").status.code == 200)
        #expect(try await client.jira("/rest/api/3/myself").status.code == 200)
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        output += String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        #expect(output.contains("pulse sandbox: stopping"))
    }
}
