#if canImport(Glibc)
import Glibc
#endif

/// What to run for one supervised service.
public struct ChildSpec: Sendable, Equatable {
    /// The service's name (`gateway`, …), used in logs and the state file.
    public var name: String
    /// Absolute path of the executable.
    public var executable: String
    /// Arguments after the program name.
    public var arguments: [String]
    /// Variables added to (or replacing those in) the supervisor's environment.
    public var environment: [String: String]
    /// File that receives the child's stdout and stderr (appended).
    public var logFile: String
    /// Where the child listens, recorded in the state file for `pulse status`.
    public var host: String
    public var port: Int

    public init(name: String, executable: String, arguments: [String] = [], environment: [String: String] = [:],
                logFile: String, host: String = "127.0.0.1", port: Int = 0) {
        self.name = name
        self.host = host
        self.port = port
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logFile = logFile
    }
}

/// How a child process ended, decoded from a `waitpid` status.
public enum ChildExit: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    init(waitStatus status: Int32) {
        let signal = status & 0x7F
        self = signal == 0 ? .exited((status >> 8) & 0xFF) : .signalled(signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exit \(code)"
        case .signalled(let signal): return "signal \(signal)"
        }
    }
}

/// Spawning, signalling and reaping with plain POSIX calls.
public enum ChildProcess {
    /// An error from `posix_spawn` or opening the log file.
    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `spec` in its own process group (so a terminal's Ctrl-C reaches only the
    /// supervisor, which then stops children in order), with default signal handling, stdin
    /// from /dev/null and stdout+stderr appended to `spec.logFile`.
    /// - Parameter newSession: Start a new session too (used by `pulse up --detach`).
    public static func spawn(_ spec: ChildSpec, newSession: Bool = false) throws(SpawnError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, spec.logFile, O_WRONLY | O_CREAT | O_APPEND, 0o640)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child gets stdin/stdout/stderr only, never a descriptor the parent forgot to mark
        // close-on-exec (a leaked listening socket would keep a port busy after its owner died).
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // POSIX_SPAWN_SETSID (0x80) is a GNU extension the Glibc module does not import.
        let setsid: Int32 = 0x80
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession {
            flags |= setsid
        } else {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var environment: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                environment[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            cursor += 1
        }
        environment.merge(spec.environment) { _, new in new }

        let argv = ([spec.executable] + spec.arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, spec.executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw SpawnError(description: "cannot start \(spec.executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) is a GNU extension the Glibc
    /// module does not import; looked up at run time, nil where the C library lacks it.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// Reaps `pid` if it has exited; nil while it is still running.
    public static func reap(_ pid: pid_t) -> ChildExit? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return ChildExit(waitStatus: status) }
            if result == -1 && errno == EINTR { continue }
            // ECHILD: not our child (or already reaped): treat as gone if it no longer exists.
            if result == -1 { return isAlive(pid) ? nil : .exited(-1) }
            return nil
        }
    }

    /// Sends `signal`; false if the process does not exist.
    @discardableResult
    public static func send(_ signal: Int32, to pid: pid_t) -> Bool {
        kill(pid, signal) == 0
    }

    /// Whether a process with this pid exists and has not exited (a zombie waiting to be reaped
    /// by its parent counts as gone).
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = readProcFile("/proc/\(pid)/stat"), let close = stat.lastIndex(of: UInt8(ascii: ")")),
              close + 2 < stat.count else { return true }
        return stat[close + 2] != UInt8(ascii: "Z")
    }

    /// The executable name of a running process (from `/proc/<pid>/cmdline`), to avoid signalling
    /// an unrelated process that reused a pid recorded in a stale state file.
    public static func commandName(of pid: pid_t) -> String? {
        guard let cmdline = readProcFile("/proc/\(pid)/cmdline"), !cmdline.isEmpty else { return nil }
        let argv0 = cmdline.split(separator: 0, omittingEmptySubsequences: false).first ?? []
        return String(decoding: argv0, as: UTF8.self).split(separator: "/").last.map(String.init)
    }

    private static func readProcFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n >= 0 ? Array(buffer[0..<n]) : nil
    }
}
