import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: a file descriptor (stdout by default), written whole under a lock so
/// lines from concurrent threads never interleave, plus optional per-client files.
public final class LogOutput: Sendable {
    /// When to add ANSI colour.
    public enum ColorMode: String, Sendable, CaseIterable {
        /// Colour only when the descriptor is a terminal and `NO_COLOR` is not set.
        case auto
        /// Always colour.
        case always
        /// Never colour.
        case never
    }

    private let descriptor: Int32
    private let lock = Mutex<Void>(())
    /// Whether lines written here should carry colour.
    public let colorize: Bool
    /// Per-client files, when enabled.
    public let clientFiles: ClientLogFiles?

    /// Creates an output on an open descriptor that the caller keeps open (1 = stdout, 2 = stderr).
    /// - Parameters:
    ///   - color: The colour policy; `.auto` checks `isatty(descriptor)`.
    ///   - clientDirectory: When set, lines carrying `client=<name>` metadata are also appended to
    ///     `<clientDirectory>/<name>.log`.
    ///   - environment: Consulted for `NO_COLOR` under `.auto`.
    public init(
        descriptor: Int32 = 1, color: ColorMode = .auto, clientDirectory: String? = nil,
        environment: [String: String] = [:]
    ) {
        self.descriptor = descriptor
        switch color {
        case .always: colorize = true
        case .never: colorize = false
        case .auto: colorize = isatty(descriptor) == 1 && environment["NO_COLOR"] == nil
        }
        clientFiles = clientDirectory.map(ClientLogFiles.init(directory:))
    }

    /// Writes `line` plus a newline in one `write(2)` sequence under the lock.
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        lock.withLock { _ in Self.writeAll(bytes, to: descriptor) }
    }

    /// Writes all of `bytes`, retrying short writes and EINTR; drops the rest on other errors
    /// (logging must never take the process down).
    static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// Append-only log files, one per client (tenant), opened lazily and kept open.
public final class ClientLogFiles: Sendable {
    /// The folder holding `<client>.log` files.
    public let directory: String
    private let files = Mutex<[String: Int32]>([:])

    /// Creates the set; the directory is created on first use.
    public init(directory: String) {
        self.directory = directory
    }

    deinit {
        files.withLock { open in
            for fd in open.values { close(fd) }
        }
    }

    /// The file name used for `client`: letters, digits, `-` and `_` kept, anything else `_`.
    public static func fileName(for client: String) -> String {
        let safe = client.unicodeScalars.map { scalar -> Character in
            let v = scalar.value
            let keep = (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A)
                || v == 0x2D || v == 0x5F
            return keep ? Character(scalar) : "_"
        }
        let name = String(safe.prefix(64))
        return (name.isEmpty ? "_" : name) + ".log"
    }

    /// Appends `line` and a newline to the client's file.
    public func write(line: String, client: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        files.withLock { open in
            let fd: Int32
            if let existing = open[client] {
                fd = existing
            } else {
                mkdir(directory, 0o750)
                let path = directory + "/" + Self.fileName(for: client)
                let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                guard opened >= 0 else { return }
                open[client] = opened
                fd = opened
            }
            LogOutput.writeAll(bytes, to: fd)
        }
    }
}
