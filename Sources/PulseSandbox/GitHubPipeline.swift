/// GitHub's side of every request: auth (401 "Bad credentials"), the per-token primary budget
/// (`x-ratelimit-*`, 403 at 0 until the reset), secondary-limit faults (403/429 with
/// `retry-after`), `ETag` / `If-None-Match` → 304 (which spends nothing), injected payload faults.
extension SandboxServer {
    static let docs = "https://docs.github.com/rest"

    func gitHubPipeline(_ request: SandboxRequest, now: Double) -> SandboxReply {
        guard let token = Self.bearerToken(request.header("Authorization")) else {
            return SandboxReply.json(["message": "Bad credentials", "documentation_url": .string(Self.docs), "status": "401"], status: 401)
        }
        let epoch = Int64(now)
        let window = configuration.rateLimit
        let countsAgainstLimit = request.path != "/rate_limit"
        // The budget as it stands, opening a new window when the old one has run out.
        let budget = state.withLock { s -> GitHubBudget in
            var b = s.budgets[token] ?? GitHubBudget(used: 0, resetAt: epoch + Int64(window.windowSeconds))
            if epoch >= b.resetAt { b = GitHubBudget(used: 0, resetAt: epoch + Int64(window.windowSeconds)) }
            s.budgets[token] = b
            return b
        }
        func limitHeaders(_ b: GitHubBudget) -> [(String, String)] {
            [("x-ratelimit-limit", String(window.limit)), ("x-ratelimit-remaining", String(max(0, window.limit - b.used))),
             ("x-ratelimit-used", String(b.used)), ("x-ratelimit-reset", String(b.resetAt)), ("x-ratelimit-resource", "core")]
        }
        if countsAgainstLimit && budget.used >= window.limit {
            var r = SandboxReply.json(["message": "API rate limit exceeded for user ID 583231.", "documentation_url": "\(Self.docs)/overview/rate-limits-for-the-rest-api", "status": "403"], status: 403)
            r.headers = limitHeaders(budget)
            r.retryNotBefore = Double(budget.resetAt)
            return r
        }
        if countsAgainstLimit, var limited = commonFaults(request, now: now, vendorLimited: { seconds, use429 in
            SandboxReply.json(["message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                               "documentation_url": "\(Self.docs)/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                               "status": use429 ? "429" : "403"],
                              status: use429 ? 429 : 403)
                .adding([("retry-after", String(seconds))])
        }) {
            limited.headers += limitHeaders(budget)
            return limited
        }
        var reply = request.method == "GET" || request.method == "HEAD"
            ? gitHubRoute(request, organisation: shiftedOrganisation(request))
            : SandboxReply.json(["message": "Not Found", "documentation_url": .string(Self.docs), "status": "404"], status: 404)
        if reply.status == 200, request.path != "/rate_limit", let json = reply.json {
            let bytes = json.bytes
            reply.raw = bytes
            let etag = "W/\"" + Self.digest(bytes) + "\""
            reply.headers.append(("ETag", etag))
            reply.headers.append(("Cache-Control", "private, max-age=60, s-maxage=60"))
            if let sent = request.header("If-None-Match"), sent.split(separator: ",").contains(where: { Self.sameTag(String($0), etag) }) {
                reply.status = 304
            }
        }
        if let fault = takeInjection(request.path), reply.status == 200, let json = reply.json {
            reply.raw = fault.apply(to: json)
            if fault == .htmlError { reply.status = 502; reply.contentType = "text/html; charset=utf-8" }
        }
        // Spend the budget: a 304 costs nothing, `/rate_limit` costs nothing.
        let spent = state.withLock { s -> GitHubBudget in
            var b = s.budgets[token]!
            if countsAgainstLimit && reply.status != 304 { b.used += 1 }
            s.budgets[token] = b
            return b
        }
        reply.headers += limitHeaders(spent)
        reply.headers += [("X-GitHub-Media-Type", "github.v3; format=json"), ("X-GitHub-Api-Version-Selected", "2022-11-28"),
                          ("X-GitHub-Request-Id", String(UInt64(now * 1000) % 1_000_000_007, radix: 16).uppercased())]
        if request.path == "/rate_limit", reply.status == 200 { reply.raw = rateLimitBody(spent).bytes }
        return reply
    }

    func rateLimitBody(_ b: GitHubBudget) -> SandboxJSON {
        let limit = configuration.rateLimit.limit
        func bucket(_ l: Int, _ used: Int) -> SandboxJSON {
            ["limit": .number(l), "used": .number(used), "remaining": .number(max(0, l - used)), "reset": .int(b.resetAt)]
        }
        let core = bucket(limit, b.used)
        return [
            "resources": [
                "core": core, "search": bucket(30, 0), "graphql": bucket(limit, 0), "integration_manifest": bucket(5_000, 0),
                "source_import": bucket(100, 0), "actions_runner_registration": bucket(10_000, 0), "scim": bucket(15_000, 0),
                "dependency_snapshots": bucket(100, 0), "code_search": bucket(10, 0), "code_scanning_autofix": bucket(10, 0),
            ],
            "rate": core,
        ]
    }

    /// With `shiftingPages`, the first request for page 2 or later of a PR listing moves the
    /// listing's last PR to the top (it was just updated): a pager that does not overlap misses it.
    func shiftedOrganisation(_ request: SandboxRequest) -> SandboxOrganisation {
        state.withLock { s in
            guard configuration.faults.shiftingPages, request.path.hasSuffix("/pulls"), (Int(request.query("page") ?? "1") ?? 1) > 1,
                  !s.shifted.contains(request.path) else { return s.organisation }
            s.shifted.insert(request.path)
            let parts = request.path.split(separator: "/")
            if parts.count == 4, let r = s.organisation.repositories.firstIndex(where: { $0.name == parts[2] }),
               let oldest = s.organisation.repositories[r].pulls.indices.min(by: { s.organisation.repositories[r].pulls[$0].updatedAt < s.organisation.repositories[r].pulls[$1].updatedAt }) {
                let newest = s.organisation.repositories[r].pulls.map(\.updatedAt).max() ?? 0
                s.organisation.repositories[r].pulls[oldest].updatedAt = newest + 60
            }
            return s.organisation
        }
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        for scheme in ["Bearer ", "bearer ", "token "] where header.hasPrefix(scheme) {
            let token = String(header.dropFirst(scheme.count)).trimmingCharacters(in: " ")
            return token.isEmpty ? nil : token
        }
        return nil
    }

    static func sameTag(_ a: String, _ b: String) -> Bool {
        func bare(_ t: String) -> String { let s = t.trimmingCharacters(in: " "); return s.hasPrefix("W/") ? String(s.dropFirst(2)) : s }
        return bare(a) == bare(b)
    }

    /// FNV-1a 64 of the body, as 16 hex digits twice (an ETag's worth).
    static func digest(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325, g: UInt64 = 0x8422_2325_CBF2_9CE4
        bytes.withUnsafeBufferPointer { buffer in
            for b in buffer { h = (h ^ UInt64(b)) &* 0x100_0000_01B3; g = (g ^ UInt64(b)) &* 0x100_0000_01B3 &+ 1 }
        }
        func hex(_ v: UInt64) -> String { let s = String(v, radix: 16); return String(repeating: "0", count: 16 - s.count) + s }
        return hex(h) + hex(g)
    }
}

extension SandboxReply {
    func adding(_ headers: [(String, String)]) -> SandboxReply {
        var copy = self
        copy.headers += headers
        return copy
    }
}
