import Foundation
import PulseHTTPClient

/// A Jira integration's settings and credentials, read from the stored JSON:
/// settings `{"projects": ["PAY","WEB"], "incident_repository_field": "customfield_10050",
/// "incident_deployment_field": "customfield_10051", "allow_insecure_http": false}`,
/// credentials `{"email": "...", "api_token": "..."}`.
struct JiraSettings: Sendable {
    var baseURL: String
    var projects: [String]
    var incidentRepositoryField: String?
    var incidentDeploymentField: String?
    var allowInsecureHTTP: Bool
    var email: String
    var apiToken: String

    /// Reads and checks the integration; the error says what is missing or refused.
    init(_ integration: SyncIntegration) throws(SyncError) {
        let settingsText = integration.settingsJSON.isEmpty ? "{}" : integration.settingsJSON
        guard let settings = try? JiraValue.parse(Array(settingsText.utf8)), case .object = settings.raw
        else { throw SyncError("the Jira integration's settings are not a JSON object", retryable: false) }
        guard let credentials = try? JiraValue.parse(Array(integration.credentialsJSON.utf8)) else {
            throw SyncError("the Jira integration's credentials are not a JSON object", retryable: false)
        }
        projects = settings["projects"].array.compactMap(\.text)
        if settings["projects"].exists, !settings["projects"].isArray {
            throw SyncError("settings.projects must be a list of Jira project keys, e.g. [\"PAY\", \"WEB\"]", retryable: false)
        }
        incidentRepositoryField = settings["incident_repository_field"].text
        incidentDeploymentField = settings["incident_deployment_field"].text
        allowInsecureHTTP = settings["allow_insecure_http"].bool ?? false
        guard let email = credentials["email"].text, let token = credentials["api_token"].text else {
            throw SyncError("the Jira credentials need \"email\" and \"api_token\"", retryable: false)
        }
        self.email = email
        self.apiToken = token
        baseURL = integration.baseURL
        try Self.checkBaseURL(baseURL, allowInsecureHTTP: allowInsecureHTTP)
    }

    /// Refuses base URLs that are not `https://`, unless the host is loopback (sandboxes,
    /// tests) or the settings say `"allow_insecure_http": true`: the API token would travel
    /// in clear text.
    static func checkBaseURL(_ baseURL: String, allowInsecureHTTP: Bool) throws(SyncError) {
        guard let url = try? ClientURL(baseURL.hasSuffix("/") ? baseURL : baseURL + "/") else {
            throw SyncError("the Jira base URL \"\(baseURL)\" is not an http(s) URL such as https://your-site.atlassian.net", retryable: false)
        }
        guard url.scheme == .http else { return }
        if allowInsecureHTTP || isLoopback(url.host) { return }
        throw SyncError("the Jira base URL \(baseURL) uses plain http:// to a non-loopback host, which would send the API token unencrypted; use https:// (or set \"allow_insecure_http\": true in the integration's settings)", retryable: false)
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return h == "localhost" || h.hasSuffix(".localhost") || h.hasPrefix("127.") || h == "::1"
    }

    /// The Jira field ids the connector asks for on every issue.
    func issueFields(_ names: JiraIssueRecord.Fields) -> [String] {
        var fields = ["summary", "description", "issuetype", "status", "priority", "assignee", "reporter", "labels",
                      "components", "parent", "project", "created", "updated", "resolutiondate"]
        for extra in [incidentRepositoryField, incidentDeploymentField, names.sprint] + names.storyPoints {
            if let extra, !fields.contains(extra) { fields.append(extra) }
        }
        return fields
    }
}
