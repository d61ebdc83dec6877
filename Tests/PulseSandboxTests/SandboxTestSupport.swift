import Foundation
import PulseHTTP
import PulseHTTPClient
import PulseSandbox
import Testing

/// Runs `body` against a live sandbox on 127.0.0.1:0 with a real HTTP client, and always
/// shuts both down.
func withSandbox<T>(_ configuration: SandboxConfiguration = SandboxConfiguration(seed: 7, scale: .test),
                    _ body: (SandboxServer, SandboxClient) async throws -> T) async throws -> T {
    let server = SandboxServer(configuration: configuration)
    let port = try server.start()
    let http = try HTTPClient()
    let client = SandboxClient(http: http, base: "http://127.0.0.1:\(port)")
    do {
        let result = try await body(server, client)
        http.shutdown()
        await server.shutdown()
        return result
    } catch {
        http.shutdown()
        await server.shutdown()
        throw error
    }
}

struct SandboxClient: Sendable {
    let http: HTTPClient
    let base: String

    static let gitHubAuth: HTTPHeaders = ["Authorization": "Bearer ghp_sandbox", "Accept": "application/vnd.github+json"]
    static var jiraAuth: HTTPHeaders {
        ["Authorization": "Basic " + Data("bot@example.com:api-token".utf8).base64EncodedString(), "Accept": "application/json"]
    }

    func github(_ path: String, headers: HTTPHeaders = gitHubAuth) async throws -> HTTPClientResponse {
        try await http.get(path.hasPrefix("http") ? path : base + path, headers: headers)
    }

    func jira(_ path: String, headers: HTTPHeaders = jiraAuth) async throws -> HTTPClientResponse {
        try await http.get(path.hasPrefix("http") ? path : base + path, headers: headers)
    }

    func jiraPost(_ path: String, body: String) async throws -> HTTPClientResponse {
        var headers = Self.jiraAuth
        headers["Content-Type"] = "application/json"
        return try await http.post(base + path, headers: headers, body: Array(body.utf8))
    }

    /// Follows `rel="next"` from `path` to the end; returns every page's items.
    func allGitHubPages(_ path: String, items: (SandboxJSON) -> [SandboxJSON] = { $0.arrayValue ?? [] }) async throws -> [SandboxJSON] {
        var url: String? = path
        var out: [SandboxJSON] = []
        var pages = 0
        while let next = url {
            let response = try await github(next)
            try #require(response.status.code == 200, "\(next): \(response.status)")
            out += items(try #require(SandboxJSON.parse(response.body)))
            url = LinkHeader.next(response.headers["Link"])
            pages += 1
            try #require(pages < 10_000)
        }
        return out
    }
}

enum LinkHeader {
    /// The URLs of a GitHub `Link` header by rel.
    static func parse(_ header: String?) -> [String: String] {
        guard let header else { return [:] }
        var out: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">") else { continue }
            let rel = pieces[1].replacingOccurrences(of: "rel=", with: "").replacingOccurrences(of: "\"", with: "")
            out[rel] = String(pieces[0].dropFirst().dropLast())
        }
        return out
    }

    static func next(_ header: String?) -> String? { parse(header)["next"] }
}

/// The vendor fixtures: `../shared/fixtures` beside the repository clone (CI), found by
/// walking up from this file.
enum Fixtures {
    static let root: URL? = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("shared/fixtures")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("github/MANIFEST.md").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static func load(_ relative: String) throws -> SandboxJSON {
        let root = try #require(root, "shared/fixtures not found above \(#filePath)")
        let data = try Data(contentsOf: root.appendingPathComponent(relative))
        return try #require(SandboxJSON.parse([UInt8](data)), "\(relative) is not JSON")
    }
}

enum Shape {
    /// Differences in keys and JSON types between `ours` and the vendor's `fixture` (null
    /// matches any type: one example cannot tell nullability). Arrays compare first elements.
    static func differences(_ ours: SandboxJSON, _ fixture: SandboxJSON, path: String = "$", ignoring: Set<String> = []) -> [String] {
        switch (ours, fixture) {
        case (.null, _), (_, .null): return []
        case (.object(let a), .object(let b)):
            var out: [String] = []
            let ak = a.map(\.0), bk = b.map(\.0)
            for k in bk where !ak.contains(k) && !ignoring.contains(k) { out.append("\(path).\(k) missing") }
            for k in ak where !bk.contains(k) && !ignoring.contains(k) { out.append("\(path).\(k) not in the fixture") }
            for (k, v) in b { if let mine = a.first(where: { $0.0 == k })?.1 { out += differences(mine, v, path: "\(path).\(k)", ignoring: ignoring) } }
            return out
        case (.array(let a), .array(let b)):
            guard let x = a.first, let y = b.first else { return [] }
            return differences(x, y, path: path + "[0]", ignoring: ignoring)
        case (.string, .string), (.int, .int), (.bool, .bool): return []
        default: return ["\(path): \(kind(ours)) where the fixture has \(kind(fixture))"]
        }
    }

    static func kind(_ v: SandboxJSON) -> String {
        switch v {
        case .null: "null"
        case .bool: "bool"
        case .int: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        case .raw: "raw"
        }
    }
}
