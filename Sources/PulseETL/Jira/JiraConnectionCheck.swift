import Foundation
import Logging
import PulseHTTPClient

/// The Jira side of `POST /api/v1/integrations/{id}/test`: one `GET /rest/api/3/myself`,
/// and in words what is wrong when it fails (credentials, unreachable host, TLS, a refused
/// `http://` base URL), with the account's display name and time zone when it works.
enum JiraConnectionCheck {
    static func run(integration: SyncIntegration, client: HTTPClient, clock: JiraClock = .system) async -> ConnectionCheck {
        let settings: JiraSettings
        do {
            settings = try JiraSettings(integration)
        } catch {
            return ConnectionCheck(ok: false, message: error.message)
        }
        // One attempt, a short backoff only for a 429: the admin is waiting for the answer.
        let api = JiraAPIClient(baseURL: settings.baseURL, email: settings.email, apiToken: settings.apiToken, http: client,
                                policy: JiraRetryPolicy(maximumAttempts: 2, baseBackoff: 0.2, maximumBackoff: 1, maximumWait: 5),
                                clock: clock, logger: Logger(label: "pulse.etl.jira.check"))
        do {
            let me = try await api.get("/rest/api/3/myself")
            guard let accountID = me["accountId"].text else {
                return ConnectionCheck(ok: false, message: "\(settings.baseURL)/rest/api/3/myself answered without an accountId: this does not look like a Jira Cloud site", status: 200)
            }
            var details = ["account_id": accountID]
            if let name = me["displayName"].text { details["display_name"] = name }
            if let zone = me["timeZone"].text { details["time_zone"] = zone }
            if let email = me["emailAddress"].text { details["email"] = email }
            let who = me["displayName"].text.map { " as \($0)" } ?? ""
            let zone = me["timeZone"].text.map { " (time zone \($0))" } ?? ""
            return ConnectionCheck(ok: true, message: "Connected to Jira at \(settings.baseURL)\(who)\(zone)", status: 200, details: details)
        } catch {
            return ConnectionCheck(ok: false, message: error.message, status: error.status)
        }
    }
}
