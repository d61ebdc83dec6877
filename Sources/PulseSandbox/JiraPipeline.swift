import Foundation

/// Jira's side of every request: Basic auth (any email, non-empty token; 401 otherwise), 429
/// faults with `Retry-After` and `X-RateLimit-Reset`, injected payload faults, errors as
/// `{errorMessages, errors}`.
extension SandboxServer {
    static func jiraError(_ message: String, status: Int) -> SandboxReply {
        .json(["errorMessages": [.string(message)], "errors": [:]], status: status)
    }

    func jiraPipeline(_ request: SandboxRequest, now: Double) -> SandboxReply {
        guard Self.basicCredentials(request.header("Authorization")) != nil else {
            var r = Self.jiraError("Client must be authenticated to access this resource.", status: 401)
            r.headers.append(("WWW-Authenticate", "Basic realm=\"protected-area\""))
            return r
        }
        if var limited = commonFaults(request, now: now, vendorLimited: { seconds, _ in
            let reset = SandboxTime.github(Int64(now) + Int64(seconds))
            return SandboxReply(status: 429, raw: [], headers: [
                ("Retry-After", String(seconds)), ("X-RateLimit-Reset", String(reset.dropLast(4)) + "Z"),
                ("X-RateLimit-Limit", "100"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-NearLimit", "true"),
                ("RateLimit-Reason", "jira-burst-based"),
            ])
        }) {
            limited.contentType = "text/plain"
            return limited
        }
        var reply = jiraRoute(request, organisation: organisation)
        if let fault = takeInjection(request.path), reply.status == 200, let json = reply.json {
            reply.raw = fault.apply(to: json)
            if fault == .htmlError { reply.status = 502; reply.contentType = "text/html; charset=utf-8" }
        }
        reply.headers.append(("X-AAccountId", SandboxJiraPayloads.botAccountID))
        return reply
    }

    /// `(email, token)` from `Authorization: Basic base64(email:token)`, both non-empty.
    static func basicCredentials(_ header: String?) -> (String, String)? {
        guard let header, header.hasPrefix("Basic "),
              let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: " ")),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        let email = String(text[..<colon]), token = String(text[text.index(after: colon)...])
        return email.isEmpty || token.isEmpty ? nil : (email, token)
    }
}
