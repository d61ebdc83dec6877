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
        let process = Process()
        if let user, isRoot {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            process.arguments = ["-u", user, "--", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cmd-\(UUID().uuidString).out")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-cmd-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
        return CommandResult(status: status, stdout: stdout, stderr: stderr)
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
