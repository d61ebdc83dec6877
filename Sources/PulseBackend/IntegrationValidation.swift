import Foundation
import PulseHTTP

/// What an integration may hold, per provider (issue 12's Contract): the `settings` and
/// `credentials` shapes, and the base-URL rule (`https://`, or `http://` only to a loopback
/// host or with `settings.allow_insecure_http: true`).
enum IntegrationValidation {
    static let providers = ["github", "jira", "webhook", "custom"]

    static let createSpec = BodySpec([
        Field("provider", .string(maxLength: 50, values: providers), required: true),
        Field("name", .string(maxLength: 255, minLength: 1), required: true),
        Field("base_url", .string(maxLength: 2048), nullable: true),
        Field("settings", .freeObject(maxBytes: 64 * 1024)),
        Field("credentials", .freeObject(maxBytes: 16 * 1024)),
        Field("active", .boolean),
    ])

    static let updateSpec = BodySpec([
        Field("name", .string(maxLength: 255, minLength: 1)),
        Field("base_url", .string(maxLength: 2048), nullable: true),
        Field("settings", .freeObject(maxBytes: 64 * 1024)),
        Field("credentials", .freeObject(maxBytes: 16 * 1024)),
        Field("active", .boolean),
    ])

    static let settingsSpecs: [String: BodySpec] = [
        "github": BodySpec([
            Field("organization", .string(maxLength: 255, minLength: 1)),
            Field("repositories", .array(.string(maxLength: 255, minLength: 3), maxItems: 5000)),
            Field("allow_insecure_http", .boolean),
        ]),
        "jira": BodySpec([
            Field("projects", .array(.string(maxLength: 50, minLength: 1), maxItems: 1000)),
            Field("incident_repository_field", .string(maxLength: 255, minLength: 1)),
            Field("incident_deployment_field", .string(maxLength: 255, minLength: 1)),
            Field("story_points_field", .string(maxLength: 255, minLength: 1)),
            Field("allow_insecure_http", .boolean),
        ]),
    ]

    static let credentialSpecs: [String: BodySpec] = [
        "github": BodySpec([Field("token", .string(maxLength: 1024, minLength: 1), required: true)]),
        "jira": BodySpec([
            Field("email", .string(maxLength: 255, minLength: 3), required: true),
            Field("api_token", .string(maxLength: 1024, minLength: 1), required: true),
        ]),
        "webhook": BodySpec([Field("secret", .string(maxLength: 1024, minLength: 16))]),
    ]

    /// Checks provider-specific settings; `repositories` entries must look like `owner/repo`.
    static func checkSettings(_ settings: JSONValue, provider: String) throws {
        guard let spec = settingsSpecs[provider] else { return }
        let members = try spec.validate(settings, path: "settings.")
        if let repositories = members["repositories"]?.arrayValue {
            for (index, repository) in repositories.enumerated() {
                let parts = (repository.stringValue ?? "").split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw BodyProblem.invalid("settings.repositories[\(index)]", "must look like owner/repo")
                }
            }
        }
    }

    /// Checks credentials against the provider's shape (github `token`, jira `email` + `api_token`).
    static func checkCredentials(_ credentials: JSONValue, provider: String) throws {
        guard let spec = credentialSpecs[provider] else { return }
        _ = try spec.validate(credentials, path: "credentials.")
    }

    /// The base-URL rule. Jira and GitHub need one.
    static func checkBaseURL(_ text: String?, provider: String, settings: JSONValue) throws {
        guard let text, !text.isEmpty else {
            if provider == "github" || provider == "jira" { throw BodyProblem.invalid("base_url", "is required for \(provider)") }
            return
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw BodyProblem.invalid("base_url", "must be an absolute http(s) URL")
        }
        guard url.user == nil, url.password == nil else {
            throw BodyProblem.invalid("base_url", "must not carry credentials (put them in credentials)")
        }
        guard url.query == nil, url.fragment == nil else { throw BodyProblem.invalid("base_url", "must not have a query or fragment") }
        switch scheme {
        case "https": return
        case "http":
            if isLoopback(host) || settings["allow_insecure_http"]?.boolValue == true { return }
            throw BodyProblem.invalid("base_url", "uses http:// to a non-loopback host: use https://, or set settings.allow_insecure_http: true")
        default:
            throw BodyProblem.invalid("base_url", "must start with https:// (or http:// for a loopback host)")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if h == "localhost" || h == "::1" { return true }
        let parts = h.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
