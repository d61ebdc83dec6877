import Glibc

/// Serves files under `root` for GET and HEAD requests whose path starts with `urlPrefix`,
/// with `ETag` / `If-None-Match` (304), `Last-Modified`, single byte `Range` (206 / 416) and
/// content types by extension. Other requests, and paths with no file, go to `next`.
/// Paths are confined to `root`: `..` segments are refused and symlinks may not lead outside.
public struct StaticFileMiddleware: Middleware {
    public let root: String
    public let urlPrefix: String
    /// `Cache-Control` value to send (nil sends none).
    public let cacheControl: String?

    public init(root: String, urlPrefix: String = "/", cacheControl: String? = "no-cache") {
        self.root = StaticFileMiddleware.resolve(root) ?? root
        self.urlPrefix = urlPrefix.hasSuffix("/") ? urlPrefix : urlPrefix + "/"
        self.cacheControl = cacheControl
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        guard request.method == .get || request.method == .head,
            request.path.hasPrefix(urlPrefix) || request.path + "/" == urlPrefix,
            let file = locate(request.path)
        else { return try await next.respond(to: request) }
        return try respond(request, file: file)
    }

    /// A located regular file (its real path, size and modification time).
    package struct FileInfo: Sendable {
        package var path: String
        package var size: Int
        package var modified: Int
        package var modifiedNanos: Int
    }

    /// The file a request path names under `root` (a directory's `index.html`), or nil.
    package func locate(_ requestPath: String) -> FileInfo? {
        let relative = requestPath.count > urlPrefix.count ? String(requestPath.dropFirst(urlPrefix.count)) : ""
        let segments = relative.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments where segment == ".." || segment == "." || segment.contains("\0") || segment.contains("\\") {
            return nil
        }
        var candidate = root + (segments.isEmpty ? "" : "/" + segments.joined(separator: "/"))
        guard var info = Self.stat(candidate) else { return nil }
        if info.isDirectory {
            candidate += "/index.html"
            guard let index = Self.stat(candidate), !index.isDirectory else { return nil }
            info = index
        }
        // Symlinks must stay inside the root.
        guard let real = Self.resolve(candidate), real == root || real.hasPrefix(root + "/") else { return nil }
        return FileInfo(path: real, size: info.size, modified: info.seconds, modifiedNanos: info.nanos)
    }

    func respond(_ request: HTTPRequest, file: FileInfo) throws -> HTTPResponse {
        let etag = "\"\(String(file.size, radix: 16))-\(String(file.modified, radix: 16))\(String(file.modifiedNanos, radix: 16))\""
        var headers: HTTPHeaders = [
            "ETag": etag,
            "Last-Modified": HTTPDate.format(file.modified),
            "Accept-Ranges": "bytes",
            "Content-Type": ContentTypes.forPath(file.path),
        ]
        if let cacheControl { headers["Cache-Control"] = cacheControl }
        if let match = request.headers["If-None-Match"] {
            let tags = match.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }
            if tags.contains("*") || tags.contains(where: { Self.weakEqual($0, etag) }) {
                headers["Content-Type"] = nil
                return HTTPResponse(status: .notModified, headers: headers)
            }
        }
        var range: ClosedRange<Int>?
        if let rangeHeader = request.headers["Range"], request.headers["If-Range"].map({ $0 == etag }) ?? true {
            switch ByteRange.parse(rangeHeader, size: file.size) {
            case .none: break
            case .unsatisfiable:
                headers["Content-Range"] = "bytes */\(file.size)"
                headers["Content-Type"] = "application/problem+json"
                return HTTPResponse(status: .rangeNotSatisfiable, headers: headers, body: .bytes(ProblemDetails(status: .rangeNotSatisfiable).jsonBytes()))
            case .range(let r): range = r
            }
        }
        let bytes = try Self.read(file.path, range: range ?? 0...max(file.size - 1, 0), size: file.size)
        if let range {
            headers["Content-Range"] = "bytes \(range.lowerBound)-\(range.upperBound)/\(file.size)"
            return HTTPResponse(status: .partialContent, headers: headers, body: .bytes(bytes))
        }
        return HTTPResponse(status: .ok, headers: headers, body: .bytes(bytes))
    }

    static func weakEqual(_ a: String, _ b: String) -> Bool {
        (a.hasPrefix("W/") ? String(a.dropFirst(2)) : a) == (b.hasPrefix("W/") ? String(b.dropFirst(2)) : b)
    }

    // MARK: File system

    struct Stat {
        var isDirectory: Bool
        var size: Int
        var seconds: Int
        var nanos: Int
    }

    static func stat(_ path: String) -> Stat? {
        var info = Glibc.stat()
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { return nil }
        let mode = info.st_mode & S_IFMT
        guard mode == S_IFREG || mode == S_IFDIR else { return nil }
        return Stat(isDirectory: mode == S_IFDIR, size: Int(info.st_size), seconds: info.st_mtim.tv_sec, nanos: info.st_mtim.tv_nsec)
    }

    static func resolve(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    package static func read(_ path: String, range: ClosedRange<Int>, size: Int) throws -> [UInt8] {
        if size == 0 { return [] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw HTTPError(.notFound) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: range.count)
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + done, raw.count - done, off_t(range.lowerBound + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }
}

/// A single `bytes=` range (RFC 9110 §14.1.2). Multiple ranges are answered with the whole file.
enum ByteRange: Equatable {
    case none
    case unsatisfiable
    case range(ClosedRange<Int>)

    static func parse(_ header: String, size: Int) -> ByteRange {
        guard header.hasPrefix("bytes=") else { return .none }
        let spec = header.dropFirst(6).trimmingCharacters(in: " \t")
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
        let first = spec[..<dash].trimmingCharacters(in: " \t")
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: " \t")
        if first.isEmpty {
            guard let suffix = Int(last), suffix > 0 else { return last.isEmpty ? .none : .unsatisfiable }
            if size == 0 { return .unsatisfiable }
            return .range(max(0, size - suffix)...(size - 1))
        }
        guard let start = Int(first), start >= 0 else { return .none }
        if start >= size { return .unsatisfiable }
        if last.isEmpty { return .range(start...(size - 1)) }
        guard let end = Int(last), end >= start else { return .none }
        return .range(start...min(end, size - 1))
    }
}
