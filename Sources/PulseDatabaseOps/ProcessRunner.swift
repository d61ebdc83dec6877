import Foundation
import Glibc

/// Output of a finished child process.
package struct CommandResult: Sendable {
    package let status: Int32
    package let stdout: String
    package let stderr: String
}

/// Runs PostgreSQL's tools, as the `postgres` OS user (via `runuser`) when we are root,
/// waiting without blocking a thread. Output goes through temporary files so a server
/// that inherits them (pg_ctl start) cannot hold a pipe open.
package enum ProcessRunner {
    package static var isRoot: Bool { getuid() == 0 }

    package static func run(
        _ executable: String, _ arguments: [String], asUser user: String? = nil, environment: [String: String] = [:]
    ) async throws -> CommandResult {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw EmbeddedClusterError.missingBinary(executable)
        }
        var argv = [executable] + arguments
        if let user, isRoot { argv = ["/usr/sbin/runuser", "-u", user, "--"] + argv }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cmd-\(UUID().uuidString).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cmd-\(UUID().uuidString).err")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let pid = try spawn(argv, environment: env.map { "\($0.key)=\($0.value)" }, stdout: outURL.path, stderr: errURL.path)
        let status = await waitForExit(pid)
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
    }

    /// posix_spawn with stdout/stderr redirected to files and stdin from /dev/null, in its own
    /// process group (so a Ctrl-C aimed at us does not also hit a server pg_ctl starts).
    private static func spawn(_ argv: [String], environment: [String], stdout: String, stderr: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no blocked signals and default handlers: our threads block
        // some (pgbench -T, for one, needs SIGALRM), and a blocked mask would be inherited.
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup($0) } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
        guard result == 0 else {
            throw EmbeddedClusterError.commandFailed(argv[0], "posix_spawn failed: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Reaps `pid` on a short-lived thread of its own (waitpid blocks), then resumes.
    private static func waitForExit(_ pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7f == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f))
            }
            thread.start()
        }
    }

    /// Makes `path` (and what is inside) belong to `user` when we are root.
    package static func chown(_ path: String, to user: String, recursive: Bool = false) async throws {
        guard isRoot else { return }
        let result = try await run("/bin/chown", (recursive ? ["-R"] : []) + [user + ":", path])
        guard result.status == 0 else { throw EmbeddedClusterError.commandFailed("chown \(path)", result.stderr) }
    }

    /// True when nothing listens on (and nothing holds) 127.0.0.1:`port`.
    package static func isPortFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}
