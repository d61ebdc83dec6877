import Foundation
import Logging
import PulseTestSupport
import Testing
@testable import PulseService

@Test func backoffDoublesUpToTheMaximumAndResetsWhenStable() {
    var backoff = RestartBackoff(initial: 0.5, maximum: 4, stableAfter: 10)
    let delays = (0..<6).map { _ in backoff.delayAfterCrash(uptime: 1) }
    #expect(delays == [0.5, 1, 2, 4, 4, 4])
    #expect(backoff.delayAfterCrash(uptime: 11) == 0.5)
}

@Test(arguments: [(Int32(0), ChildExit.exited(0)), (Int32(78 << 8), .exited(78)), (Int32(9), .signalled(9)), (Int32(15), .signalled(15))] as [(Int32, ChildExit)])
func waitStatusDecoding(status: Int32, expected: ChildExit) {
    #expect(ChildExit(waitStatus: status) == expected)
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(_ seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

@Test func supervisorRestartsCrashedChildrenAndStopsAll() async throws {
    let dir = TemporaryDirectory("pulse-supervisor")
    defer { dir.remove() }
    let specs = [
        ChildSpec(name: "a", executable: "/bin/sleep", arguments: ["60"], logFile: dir.path + "/a.log"),
        ChildSpec(name: "stubborn", executable: "/bin/sh", arguments: ["-c", "trap '' TERM; exec sleep 60"],
                  logFile: dir.path + "/stubborn.log"),
        ChildSpec(name: "misconfigured", executable: "/bin/sh", arguments: ["-c", "echo bad config; exit 78"],
                  logFile: dir.path + "/misconfigured.log"),
    ]
    let supervisor = ProcessSupervisor(
        specs: specs, backoff: RestartBackoff(initial: 0.05, maximum: 1, stableAfter: 30), stopTimeout: 1,
        stateDirectory: dir.path, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    let running = Task { await supervisor.run() }

    func state() -> SupervisorState? { try? SupervisorState.read(from: dir.path) }
    func service(_ name: String) -> SupervisorState.Service? { state()?.services.first { $0.name == name } }

    #expect(await eventually { service("a")?.pid != nil && service("stubborn")?.pid != nil })
    #expect(await eventually { service("misconfigured")?.status == "failed" })
    let first = try #require(service("a")?.pid)
    kill(first, SIGKILL)
    #expect(await eventually { (service("a")?.pid).map { $0 != first } == true })
    #expect(service("a")?.restarts == 1)
    #expect(service("a")?.lastExit == "signal 9")
    #expect(service("misconfigured")?.restarts == 0)
    #expect(try String(contentsOfFile: dir.path + "/misconfigured.log", encoding: .utf8) == "bad config\n")

    let pids = [service("a")?.pid, service("stubborn")?.pid].compactMap { $0 }
    let started = ContinuousClock.now
    supervisor.requestStop()
    await running.value
    #expect(ContinuousClock.now - started < .seconds(4))
    #expect(!pids.contains(where: ChildProcess.isAlive))
    #expect(state()?.status == "stopped")
    #expect(state()?.services.allSatisfy { $0.pid == nil } == true)
}

@Test func childrenDoNotInheritStrayDescriptors() async throws {
    let dir = TemporaryDirectory("pulse-fds")
    defer { dir.remove() }
    // A descriptor without O_CLOEXEC at a fixed high number, as a careless library might leave.
    let leaked = dup2(open("/dev/null", O_RDONLY), 200)
    try #require(leaked == 200)
    defer { close(leaked) }
    let log = dir.path + "/fds.log"
    let pid = try ChildProcess.spawn(ChildSpec(
        name: "fds", executable: "/bin/sh", arguments: ["-c", "readlink /proc/self/fd/200 || echo closed"], logFile: log))
    #expect(await waitForExit(pid, seconds: 10) == .exited(0))
    #expect(try String(contentsOfFile: log, encoding: .utf8) == "closed\n")
}
