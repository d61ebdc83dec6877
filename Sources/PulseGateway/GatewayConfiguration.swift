import Foundation
import PulseConfiguration

/// The gateway's settings from the configuration: where the web app's files are and the
/// per-address rate limits (`gateway.web_root`, `gateway.rate_limit_login`, `gateway.rate_limit_api`).
public struct GatewayConfiguration: Sendable, Equatable {
    /// The web app's folder, or nil when none was found (the gateway then only proxies).
    public var webRoot: String?
    public var loginRule: RateLimiter.Rule
    public var apiRule: RateLimiter.Rule

    public init(webRoot: String?, loginPerMinute: Int, apiPerMinute: Int) {
        self.webRoot = webRoot
        loginRule = RateLimiter.Rule(name: "sign-in", limit: loginPerMinute)
        apiRule = RateLimiter.Rule(name: "api", limit: apiPerMinute)
    }

    /// Reads the keys; `executable` is the running binary (`/proc/self/exe`) that relative and
    /// default web roots are resolved from.
    public init(snapshot: ConfigurationSnapshot, executable: String = GatewayConfiguration.runningExecutable()) {
        self.init(webRoot: Self.resolveWebRoot(configured: snapshot.string("gateway.web_root"), executable: executable),
                  loginPerMinute: snapshot.int("gateway.rate_limit_login"), apiPerMinute: snapshot.int("gateway.rate_limit_api"))
    }

    /// The real path of the running executable.
    public static func runningExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `configured` when absolute; relative to the install base when relative; when empty, the
    /// first folder holding an `index.html` of `<bin>/../share/pulse/web`, `<bin>/web`, or
    /// `web/` in one of the executable's ancestors (the repository above `.build/<triple>/debug`).
    public static func resolveWebRoot(configured: String, executable: String) -> String? {
        let bin = (executable as NSString).deletingLastPathComponent
        var ancestors: [String] = []
        var dir = bin
        for _ in 0..<5 {
            ancestors.append(dir)
            let parent = (dir as NSString).deletingLastPathComponent
            if parent == dir { break }
            dir = parent
        }
        let has = { (path: String) in FileManager.default.fileExists(atPath: path + "/index.html") }
        if !configured.isEmpty {
            if configured.hasPrefix("/") { return configured }
            // Relative: from the first ancestor of the executable where it exists.
            return ancestors.map { ($0 as NSString).appendingPathComponent(configured) }.first(where: has)
                ?? (bin as NSString).appendingPathComponent(configured)
        }
        let candidates = [((bin as NSString).deletingLastPathComponent as NSString).appendingPathComponent("share/pulse/web")]
            + ancestors.map { ($0 as NSString).appendingPathComponent("web") }
        return candidates.first(where: has)
    }
}
