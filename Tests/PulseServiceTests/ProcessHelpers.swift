import Foundation
import PulseTestSupport
import PulseService

/// The folder with the built executables: the test bundle sits beside them in `.build/<triple>/debug`.
let buildDirectory: String = {
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
    let dir = (exe as NSString).deletingLastPathComponent
    if FileManager.default.isExecutableFile(atPath: dir + "/pulse") { return dir }
    return packageRoot + "/.build/debug"
}()

/// A loopback port that was free a moment ago (see `FreePorts`).
func freePort() -> Int { FreePorts.one() }

/// Runs a command to completion and returns its exit status and its stdout+stderr.
/// Uses posix_spawn + waitpid on the child's own pid (via `ChildProcess`), not Foundation's
/// `Process`, whose SIGCHLD-driven reaping missed exits here and hung `waitUntilExit`.
@discardableResult
func runCommand(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cmd-\(UUID().uuidString).out").path
    defer { unlink(outputFile) }
    let pid = try ChildProcess.spawn(ChildSpec(name: "command", executable: executable, arguments: arguments,
                                               environment: environment, logFile: outputFile))
    var exit: ChildExit?
    while exit == nil {
        exit = ChildProcess.reap(pid)
        if exit == nil { usleep(10_000) }
    }
    let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
    switch exit! {
    case .exited(let code): return (code, output)
    case .signalled(let signal): return (128 + signal, output)
    }
}

/// Waits for `pid` to exit (reaping it) for up to `seconds`; nil on timeout.
func waitForExit(_ pid: pid_t, seconds: Double) async -> ChildExit? {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if let exit = ChildProcess.reap(pid) { return exit }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return ChildProcess.reap(pid)
}

/// The port a service printed in its `Service started … port=N` line, waiting up to `seconds`.
func announcedPort(logFile: String, seconds: Double = 15) async -> Int? {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if let text = try? String(contentsOfFile: logFile, encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.contains(" Service started ") }),
           let match = line.firstMatch(of: /port=(\d+)/) {
            return Int(match.1)
        }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return nil
}

/// Runs blocking work (raw-socket test clients, waiting for a command) on a Dispatch thread, so
/// it never occupies one of the few cooperative-pool threads that in-process servers' handler
/// tasks need (on a 2-core box a handful of blocked tests would starve them).
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try body() })
        }
    }
}
