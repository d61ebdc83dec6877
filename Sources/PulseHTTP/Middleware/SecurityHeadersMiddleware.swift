/// Adds the headers a browser should enforce for a web app to every response that does not
/// set them itself: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
/// `Referrer-Policy: same-origin`, `Cross-Origin-Opener-Policy: same-origin`, and (when given)
/// a `Content-Security-Policy` and `Permissions-Policy`.
public struct SecurityHeadersMiddleware: Middleware {
    /// The strict policy of the Pulse web app: scripts, styles, images, fonts and connections
    /// from its own origin only (WebSockets included), no inline script or style, no plugins,
    /// WebSockets to the same origin, no framing, forms post to the origin only.
    public static let strictContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    public let contentSecurityPolicy: String?
    public let permissionsPolicy: String?

    public init(contentSecurityPolicy: String? = nil, permissionsPolicy: String? = nil) {
        self.contentSecurityPolicy = contentSecurityPolicy
        self.permissionsPolicy = permissionsPolicy
    }

    public func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        var response = try await next.respond(to: request)
        var fields = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                      ("Referrer-Policy", "same-origin"), ("Cross-Origin-Opener-Policy", "same-origin")]
        if let contentSecurityPolicy { fields.append(("Content-Security-Policy", contentSecurityPolicy)) }
        if let permissionsPolicy { fields.append(("Permissions-Policy", permissionsPolicy)) }
        for (name, value) in fields where !response.headers.contains(name) {
            response.headers.add(name: name, value: value)
        }
        return response
    }
}
