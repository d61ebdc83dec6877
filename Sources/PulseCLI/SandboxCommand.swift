import ArgumentParser
import Foundation
import PulseSandbox

/// `pulse sandbox`: the built-in GitHub and Jira Cloud sandbox in the foreground, until SIGINT
/// or SIGTERM. Both vendors answer on one port (docs/sandbox.md).
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox", abstract: "Serve the generated GitHub organisation and Jira site (both on one port) until stopped.")

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind (0 picks a free one).")
    var port = 8765

    @Option(help: "Seed of the generated organisation: the same seed and scale serve the same data.")
    var seed: UInt64 = 42

    @Option(help: "Size: demo, test or large.")
    var scale = "demo"

    @Option(help: "Faults, comma-separated: rate-limit=N (every N-th request 403/429 with retry-after), bad-gateway=N (every N-th 502), latency=MS, retry-after=S, shifting-pages.")
    var faults = ""

    @Option(help: "GitHub primary rate limit per token and window (requests/seconds), e.g. 5000/3600.")
    var rateLimit = "5000/3600"

    func run() async throws {
        guard let size = SandboxConfiguration.Scale.named[scale] else {
            throw ValidationError("unknown scale '\(scale)' (demo, test or large)")
        }
        let limit = rateLimit.split(separator: "/").compactMap { Int($0) }
        guard limit.count == 2, limit[0] > 0, limit[1] > 0 else { throw ValidationError("--rate-limit wants REQUESTS/SECONDS, e.g. 5000/3600") }
        let configuration = SandboxConfiguration(seed: seed, scale: size, faults: try Self.parseFaults(faults),
                                                 rateLimit: .init(limit: limit[0], windowSeconds: limit[1]), host: host, port: port)
        let started = ContinuousClock.now
        let server = SandboxServer(configuration: configuration)
        let bound = try server.start()
        let org = server.organisation
        let base = "http://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(bound)"
        say("pulse sandbox: serving seed \(seed), scale \(scale) on \(base) (generated in \(started.duration(to: .now)))")
        say("  GitHub REST:  \(base)/orgs/\(org.login)/repos  (also under \(base)/api/v3)  token: Authorization: Bearer <anything>")
        say("                \(org.repositories.count) repositories, \(org.repositories.reduce(0) { $0 + $1.pulls.count }) PRs, \(org.repositories.reduce(0) { $0 + $1.commits.count }) commits, \(org.repositories.reduce(0) { $0 + $1.deployments.count }) deployments")
        say("  Jira Cloud:   \(base)/rest/api/3/myself  (agile: \(base)/rest/agile/1.0/board)  auth: Basic <email>:<token>")
        say("                projects \(org.jira.projects.map(\.key).joined(separator: ", ")), \(org.jira.issues.count) issues; incident fields \(org.jira.repositoryField) (repository), \(org.jira.deploymentField) (deployment)")
        if configuration.faults != .none { say("  faults:       \(faults)") }
        say("Stop with Ctrl-C or SIGTERM.")
        await Self.waitForSignal()
        say("pulse sandbox: stopping")
        await server.shutdown()
    }

    /// Writes a line to standard output at once (print is block-buffered when redirected).
    func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    static func parseFaults(_ text: String) throws -> SandboxConfiguration.Faults {
        var faults = SandboxConfiguration.Faults()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            let value = pair.count == 2 ? Int(pair[1]) : nil
            switch (pair[0], value) {
            case ("rate-limit", let n?) where n > 0: faults.rateLimitEvery = n
            case ("bad-gateway", let n?) where n > 0: faults.badGatewayEvery = n
            case ("latency", let n?) where n >= 0: faults.latencyMilliseconds = n
            case ("retry-after", let n?) where n >= 0: faults.retryAfterSeconds = n
            case ("shifting-pages", nil): faults.shiftingPages = true
            default: throw ValidationError("unknown fault '\(item)' (rate-limit=N, bad-gateway=N, latency=MS, retry-after=S, shifting-pages)")
            }
        }
        return faults
    }

    /// Returns on the first SIGINT or SIGTERM.
    static func waitForSignal() async {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
