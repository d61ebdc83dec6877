import Foundation
import Logging
import PulseObservability
import Synchronization

/// Keeps a set of child processes running: starts them in order, restarts crashed ones with
/// exponential backoff, records their state in a file, and on ``requestStop()`` stops them in
/// reverse order (SIGTERM, then SIGKILL after `stopTimeout`).
public final class ProcessSupervisor: Sendable {
    private let specs: [ChildSpec]
    private let backoff: RestartBackoff
    private let stopTimeout: Double
    private let stateDirectory: String
    private let logger: Logger
    private let stopFlag = Atomic<Bool>(false)

    /// Creates a supervisor; nothing starts until ``run()``.
    public init(specs: [ChildSpec], backoff: RestartBackoff, stopTimeout: Double, stateDirectory: String,
                logger: Logger) {
        self.specs = specs
        self.backoff = backoff
        self.stopTimeout = stopTimeout
        self.stateDirectory = stateDirectory
        self.logger = logger.with(category: .orch)
    }

    /// Asks ``run()`` to stop the children and return. Safe from any thread or signal source.
    public func requestStop() {
        stopFlag.store(true, ordering: .sequentiallyConsistent)
    }

    private struct Child {
        var spec: ChildSpec
        var pid: pid_t?
        var startedAt: ContinuousClock.Instant?
        var restartAt: ContinuousClock.Instant?
        var backoff: RestartBackoff
        var restarts = 0
        var lastExit: ChildExit?
        var failed = false
    }

    /// Supervises until ``requestStop()``; returns once every child has exited.
    public func run() async {
        let clock = ContinuousClock()
        var children = specs.map { Child(spec: $0, backoff: backoff) }
        for index in children.indices { start(&children[index], now: clock.now) }
        writeState(children, status: "running")

        while !stopFlag.load(ordering: .sequentiallyConsistent) {
            try? await Task.sleep(for: .milliseconds(100))
            var changed = false
            let now = clock.now
            for index in children.indices {
                changed = poll(&children[index], now: now) || changed
            }
            if changed { writeState(children, status: "running") }
        }
        await stopAll(&children, clock: clock)
    }

    /// Reaps an exited child or restarts a waiting one; true when something changed.
    private func poll(_ child: inout Child, now: ContinuousClock.Instant) -> Bool {
        if let pid = child.pid, let exit = ChildProcess.reap(pid) {
            let uptime = child.startedAt.map { Self.seconds(now - $0) } ?? 0
            child.pid = nil
            child.lastExit = exit
            if exit == .exited(78) {
                // EX_CONFIG: restarting cannot help until the operator fixes the configuration.
                child.failed = true
                logger.error("Service failed with a configuration error; not restarting", metadata: [
                    "service": "\(child.spec.name)", "log": "\(child.spec.logFile)",
                ])
                return true
            }
            let delay = child.backoff.delayAfterCrash(uptime: uptime)
            child.restartAt = now + .milliseconds(Int(delay * 1000))
            logger.warning("Service exited; restarting", metadata: [
                "service": "\(child.spec.name)", "pid": "\(pid)", "exit": "\(exit)",
                "uptime_s": "\(Self.rounded(uptime))", "restart_in_s": "\(Self.rounded(delay))",
            ])
            return true
        }
        if child.pid == nil, !child.failed, let due = child.restartAt, now >= due {
            child.restarts += 1
            start(&child, now: now)
            return true
        }
        return false
    }

    private func start(_ child: inout Child, now: ContinuousClock.Instant) {
        do {
            let pid = try ChildProcess.spawn(child.spec)
            child.pid = pid
            child.startedAt = now
            child.restartAt = nil
            logger.info("Service started", metadata: [
                "service": "\(child.spec.name)", "pid": "\(pid)", "port": "\(child.spec.port)",
                "restarts": "\(child.restarts)",
            ])
        } catch {
            let delay = child.backoff.delayAfterCrash(uptime: 0)
            child.restartAt = now + .milliseconds(Int(delay * 1000))
            logger.error("Service could not start", metadata: [
                "service": "\(child.spec.name)", "error": "\(error)", "retry_in_s": "\(Self.rounded(delay))",
            ])
        }
    }

    /// SIGTERM to every child in reverse start order, wait, then SIGKILL what is left.
    private func stopAll(_ children: inout [Child], clock: ContinuousClock) async {
        writeState(children, status: "stopping")
        for child in children.reversed() {
            if let pid = child.pid { ChildProcess.send(SIGTERM, to: pid) }
        }
        let deadline = clock.now + .milliseconds(Int(stopTimeout * 1000))
        while children.contains(where: { $0.pid != nil }) {
            for index in children.indices {
                guard let pid = children[index].pid, let exit = ChildProcess.reap(pid) else { continue }
                children[index].pid = nil
                children[index].lastExit = exit
                logger.info("Service stopped", metadata: ["service": "\(children[index].spec.name)", "exit": "\(exit)"])
            }
            if clock.now >= deadline {
                for child in children {
                    guard let pid = child.pid else { continue }
                    logger.warning("Service ignored SIGTERM; killing", metadata: ["service": "\(child.spec.name)"])
                    ChildProcess.send(SIGKILL, to: pid)
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        writeState(children, status: "stopped")
    }

    private func writeState(_ children: [Child], status: String) {
        let services = children.map { child in
            SupervisorState.Service(
                status: child.pid != nil ? "running" : child.failed ? "failed"
                    : (status == "running" ? "restarting" : "stopped"),
                name: child.spec.name, executable: child.spec.executable, pid: child.pid,
                host: child.spec.host, port: child.spec.port, restarts: child.restarts,
                lastExit: child.lastExit?.description, logFile: child.spec.logFile)
        }
        let state = SupervisorState(supervisorPID: getpid(), status: status, services: services)
        do {
            try state.write(to: stateDirectory)
        } catch {
            logger.error("Cannot write the state file", metadata: ["dir": "\(stateDirectory)", "error": "\(error)"])
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private static func rounded(_ value: Double) -> Double {
        (value * 1000).rounded() / 1000
    }
}
