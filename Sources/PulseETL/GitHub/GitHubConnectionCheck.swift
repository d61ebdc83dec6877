import Foundation
import Logging
import PulseHTTPClient

extension GitHubConnector {
    /// `GET /rate_limit` (costs no quota) then `GET /orgs/{org}`: says in words whether the
    /// base URL, the token and the organisation work, without waiting out rate limits.
    public static func checkConnection(integration: SyncIntegration, client: HTTPClient) async -> ConnectionCheck {
        await checkConnection(integration: integration, client: client, clock: SystemGitHubClock())
    }

    static func checkConnection(integration: SyncIntegration, client: HTTPClient, clock: any GitHubClock) async -> ConnectionCheck {
        let settings: GitHubSettings
        let credentials: GitHubCredentials
        do {
            settings = try GitHubSettings.parse(integration.settingsJSON)
            credentials = try GitHubCredentials.parse(integration.credentialsJSON)
        } catch {
            return ConnectionCheck(ok: false, message: error.message)
        }
        let api: GitHubAPIClient
        do {
            api = try GitHubAPIClient(
                http: client, baseURL: integration.baseURL, token: credentials.token,
                allowInsecureHTTP: settings.allowInsecureHttp ?? false,
                policy: GitHubRetryPolicy(maximumAttempts: 1, maximumRateLimitWaits: 0), clock: clock,
                logger: Logger(label: "pulse.etl.github.check"))
        } catch {
            return ConnectionCheck(ok: false, message: "\(error)")
        }
        var details: [String: String] = [:]
        do {
            let page = try await api.get(api.url("/rate_limit"), validate: GitHubPayload.validateObject)
            if let object = try? JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any],
                let resources = object["resources"] as? [String: Any], let core = resources["core"] as? [String: Any]
            {
                if let remaining = core["remaining"] as? Int { details["rate_limit_remaining"] = String(remaining) }
                if let limit = core["limit"] as? Int { details["rate_limit_limit"] = String(limit) }
            }
        } catch {
            return failure(GitHubAPIError.from(error), step: "/rate_limit", base: api.baseURL, organization: settings.organization)
        }
        if let page = try? await api.get(api.url("/user"), validate: GitHubPayload.validateObject),
            let object = try? JSONSerialization.jsonObject(with: Data(page.body)) as? [String: Any],
            let login = object["login"] as? String
        {
            details["login"] = login
        }
        do {
            _ = try await api.get(api.url("/orgs/\(GitHubSync.query(settings.organization))"), validate: GitHubPayload.validateObject)
        } catch {
            return failure(GitHubAPIError.from(error), step: "/orgs/\(settings.organization)", base: api.baseURL, organization: settings.organization)
        }
        details["organization"] = settings.organization
        var message = "Connected to GitHub at \(api.baseURL)"
        if let login = details["login"] { message += " as \(login)" }
        message += "; organisation \(settings.organization) is visible"
        if let remaining = details["rate_limit_remaining"], let limit = details["rate_limit_limit"] {
            message += "; \(remaining) of \(limit) requests left this hour"
        }
        return ConnectionCheck(ok: true, message: message + ".", status: 200, details: details)
    }

    static func failure(_ error: GitHubAPIError, step: String, base: String, organization: String) -> ConnectionCheck {
        switch error {
        case .unauthorized(let message):
            return ConnectionCheck(
                ok: false, message: "GitHub rejected the token (401 \(message)): it is wrong, expired or revoked; paste a new one.",
                status: 401)
        case .notFound where step.hasPrefix("/orgs/"):
            return ConnectionCheck(
                ok: false,
                message: "GitHub has no organisation \(organization) that this token can see (404): check the name and the token's access to it.",
                status: 404)
        case .notFound:
            return ConnectionCheck(
                ok: false,
                message: "\(base) answered 404 for \(step): it is not a GitHub API root (GitHub Enterprise needs the /api/v3 prefix).",
                status: 404)
        case .forbidden(_, let message):
            return ConnectionCheck(
                ok: false, message: "GitHub refused \(step) (403 \(message)): the token lacks a permission for it.", status: 403)
        case .status(let code, _, let message):
            return ConnectionCheck(ok: false, message: "GitHub answered \(code) for \(step): \(message).", status: code)
        case .transport(_, .unreachable(let reason)):
            return ConnectionCheck(ok: false, message: "Cannot reach \(base): \(reason). Check the base URL and the network.")
        case .transport(_, .tls(let reason)):
            return ConnectionCheck(
                ok: false, message: "The TLS handshake with \(base) failed: \(reason). Check the certificate (or the trusted CA).")
        case .transport(_, .timeout(let reason)):
            return ConnectionCheck(ok: false, message: "\(base) did not answer in time (\(reason)).")
        case .transport(_, .other(let reason)):
            return ConnectionCheck(ok: false, message: "The request to \(base)\(step) failed: \(reason).")
        case .exhausted(_, let reason):
            return ConnectionCheck(ok: false, message: "GitHub is rate limiting this token: \(reason). Try again later.")
        case .badPayload(_, let reason):
            return ConnectionCheck(ok: false, message: "\(base)\(step) did not answer like GitHub: \(reason).")
        case .refusedURL(let reason):
            return ConnectionCheck(ok: false, message: reason)
        }
    }
}
