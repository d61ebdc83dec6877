import Foundation
import PulseHTTP
import Synchronization

/// Serves the web app (`web/` at the repository root, or `gateway.web_root`) for GET and HEAD:
///
/// - `/v/<version>/<path>` and any path with a `v` query parameter are versioned assets:
///   `Cache-Control: public, max-age=31536000, immutable`. `index.html` is served with its
///   `"/assets/` references rewritten to `"/v/<version>/assets/`, where the version is a
///   hash of every file's path, size and modification time, so a changed file changes every
///   URL and ES modules importing each other relatively stay on one version;
/// - `index.html` and unversioned files: `Cache-Control: no-cache` (revalidated by ETag);
/// - a path without a file extension that names no file (a deep link such as
///   `/dora?repo=...`) is answered with `index.html`, so a reload keeps the page;
/// - bodies are gzip-compressed once per file version and kept in memory; `ETag` /
///   `If-None-Match` answer 304.
///
/// API prefixes (`/api/`, `/auth/`, `/etl/`, `/ai/`, `/ws/`, `/.well-known/`, `/gateway/`)
/// and the service probes always go to `next`.
public struct WebAppMiddleware: Middleware {
    public let root: String
    private let files: StaticFileMiddleware
    private let cache: WebAssetCache

    static let reservedPrefixes = ["/api/", "/auth/", "/etl/", "/ai/", "/ws/", "/.well-known/", "/gateway/"]
    static let reservedPaths: Set<String> = ["/health", "/ready", "/metrics", "/openapi.json", "/api", "/auth", "/etl", "/ai", "/ws"]
    static let immutable = "public, max-age=31536000, immutable"
    static let revalidate = "no-cache"

    public init(root: String) {
        files = StaticFileMiddleware(root: root, cacheControl: nil)
        self.root = files.root
        cache = WebAssetCache(root: files.root)
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        guard request.method == .get || request.method == .head, !Self.isReserved(request.path) else {
            return try await next.respond(to: request)
        }
        var path = request.path
        var versioned = request.queryItems.contains { $0.name == "v" }
        if path.hasPrefix("/v/") {
            let rest = path.dropFirst(3)
            guard let slash = rest.firstIndex(of: "/") else { return try await next.respond(to: request) }
            path = String(rest[slash...])
            versioned = true
        }
        if let file = files.locate(path) {
            let isIndex = file.path.hasSuffix("/index.html") && file.path == files.root + "/index.html"
            return try respond(request, file: file, index: isIndex, cacheControl: versioned && !isIndex ? Self.immutable : Self.revalidate)
        }
        let last = path.split(separator: "/").last ?? ""
        if !versioned, !last.contains("."), let index = files.locate("/index.html") {
            return try respond(request, file: index, index: true, cacheControl: Self.revalidate)
        }
        return try await next.respond(to: request)
    }

    static func isReserved(_ path: String) -> Bool {
        reservedPaths.contains(path) || reservedPrefixes.contains { path.hasPrefix($0) }
    }

    func respond(_ request: HTTPRequest, file: StaticFileMiddleware.FileInfo, index: Bool, cacheControl: String) throws -> HTTPResponse {
        let asset = try cache.asset(file, rewriteVersion: index)
        let gzip = asset.gzipped != nil && Self.acceptsGzip(request.headers)
        let etag = gzip ? asset.etag.dropLast() + "-gzip\"" : asset.etag
        var headers: HTTPHeaders = [
            "ETag": String(etag), "Cache-Control": cacheControl, "Vary": "Accept-Encoding",
            "Last-Modified": HTTPDate.format(file.modified),
        ]
        if let match = request.headers["If-None-Match"] {
            let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }
            if tags.contains("*") || tags.contains(String(etag)) || tags.contains("W/" + etag) {
                return HTTPResponse(status: .notModified, headers: headers)
            }
        }
        headers["Content-Type"] = ContentTypes.forPath(file.path)
        if gzip { headers["Content-Encoding"] = "gzip" }
        return HTTPResponse(status: .ok, headers: headers, body: .bytes(gzip ? asset.gzipped! : asset.bytes))
    }

    static func acceptsGzip(_ headers: HTTPHeaders) -> Bool {
        headers.tokens(for: "Accept-Encoding").contains { token in
            let parts = token.split(separator: ";").map { $0.trimmingCharacters(in: " \t").lowercased() }
            return (parts[0] == "gzip" || parts[0] == "*") && !parts.dropFirst().contains("q=0")
        }
    }

    /// The current asset version (what `index.html` points at).
    public var version: String { cache.version() }
}

/// File bodies (raw and gzip) by real path, kept while the file's size and mtime stay the same.
final class WebAssetCache: Sendable {
    struct Asset: Sendable {
        var signature: String
        var bytes: [UInt8]
        var gzipped: [UInt8]?
        var etag: String
    }

    let root: String
    private let assets = Mutex<[String: Asset]>([:])
    private let versionState = Mutex<(value: String, computed: Double)>(("", -1))

    init(root: String) { self.root = root }

    func asset(_ file: StaticFileMiddleware.FileInfo, rewriteVersion: Bool) throws -> Asset {
        let version = rewriteVersion ? self.version() : ""
        let signature = "\(file.size)-\(file.modified)-\(file.modifiedNanos)-\(version)"
        if let cached = assets.withLock({ $0[file.path] }), cached.signature == signature { return cached }
        var bytes = try StaticFileMiddleware.read(file.path, range: 0...max(file.size - 1, 0), size: file.size)
        if rewriteVersion {
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"/assets/", with: "\"/v/\(version)/assets/")
            bytes = Array(text.utf8)
        }
        let compressible = GzipMiddleware.isCompressible(ContentTypes.forPath(file.path)) && bytes.count >= 256
        let asset = Asset(signature: signature, bytes: bytes, gzipped: compressible ? Gzip.compress(bytes, level: 9) : nil,
                          etag: "\"" + WebAssetCache.hash(bytes) + "\"")
        assets.withLock { $0[file.path] = asset }
        return asset
    }

    /// Hash of every file's relative path, size and mtime; recomputed at most once a second.
    func version() -> String {
        let now = Date().timeIntervalSinceReferenceDate
        if let current = versionState.withLock({ $0.computed >= 0 && now - $0.computed < 1 ? $0.value : nil }) { return current }
        var text = ""
        let base = URL(fileURLWithPath: root)
        if let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.fileSizeKey, .contentModificationDateKey]) {
            var lines: [String] = []
            for case let url as URL in walker {
                let values = try? url.resourceValues(forKeys: [.fileSizeKey, .contentModificationDateKey, .isRegularFileKey])
                guard values?.isRegularFile == true else { continue }
                lines.append("\(url.path)|\(values?.fileSize ?? 0)|\(values?.contentModificationDate?.timeIntervalSince1970 ?? 0)")
            }
            text = lines.sorted().joined(separator: "\n")
        }
        let value = String(Self.hash(Array(text.utf8)).prefix(12))
        versionState.withLock { $0 = (value, now) }
        return value
    }

    /// 64-bit FNV-1a, hex.
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
