import Foundation

/// The parts of GitHub's REST payloads the connector stores (API version 2022-11-28; the
/// shapes of `shared/fixtures/github`). Lists decode element by element: an element with a
/// missing field, a wrong type or an unexpected null becomes a `.failure` naming the
/// problem, and the rest of the page is kept.
enum GitHubPayload {
    /// A list element that may not decode.
    struct Lenient<T: Decodable>: Decodable {
        let result: Result<T, DecodingFailure>
        init(from decoder: any Decoder) throws {
            do { result = .success(try T(from: decoder)) } catch { result = .failure(DecodingFailure(error)) }
        }
    }

    /// Why an element was not usable, in words.
    struct DecodingFailure: Error, CustomStringConvertible {
        let description: String
        init(_ error: any Error) {
            switch error {
            case DecodingError.keyNotFound(let key, let context):
                description = "missing field \(Self.path(context.codingPath + [key]))"
            case DecodingError.valueNotFound(_, let context):
                description = "unexpected null at \(Self.path(context.codingPath))"
            case DecodingError.typeMismatch(let type, let context):
                description = "wrong type at \(Self.path(context.codingPath)) (expected \(type))"
            case DecodingError.dataCorrupted(let context):
                description = "bad value at \(Self.path(context.codingPath)): \(context.debugDescription)"
            case let failure as DecodingFailure:
                description = failure.description
            default:
                description = "\(error)"
            }
        }
        init(message: String) { description = message }
        static func path(_ keys: [any CodingKey]) -> String {
            keys.filter { $0.intValue == nil }.map(\.stringValue).joined(separator: ".")
        }
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "not an ISO 8601 time: \(text.prefix(40))"))
            }
            return date
        }
        return decoder
    }

    /// ISO 8601 with `Z` or an offset, with or without fractional seconds.
    static func parseDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A page that is a JSON array of `T`.
    static func list<T: Decodable>(_ type: T.Type, from body: [UInt8]) throws -> [Result<T, DecodingFailure>] {
        try decoder().decode([Lenient<T>].self, from: Data(body)).map(\.result)
    }

    /// Whether `body` is a JSON array (for page validation: HTML error pages and truncated
    /// JSON fail here and the page is retried).
    static func validateArray(_ body: [UInt8]) -> String? {
        validate(body) { $0 is [Any] }
    }

    static func validateObject(_ body: [UInt8]) -> String? {
        validate(body) { $0 is [String: Any] }
    }

    private static func validate(_ body: [UInt8], _ check: (Any) -> Bool) -> String? {
        let start = body.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if start == UInt8(ascii: "<") { return "an HTML page instead of JSON" }
        guard let value = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            return body.isEmpty ? "an empty body" : "JSON that does not parse (truncated?)"
        }
        return check(value) ? nil : "JSON of another shape than expected"
    }

    static func isSHA(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    struct User: Decodable { let login: String? }
    struct Label: Decodable { let name: String }
    struct Ref: Decodable {
        let ref: String?
        let sha: String?
    }

    struct Repository: Decodable {
        let id: Int64
        let fullName: String
        let defaultBranch: String?
        let htmlUrl: String?
        let archived: Bool?
        let updatedAt: Date?
        let pushedAt: Date?
    }

    struct Organisation: Decodable {
        let login: String
    }

    /// `GET /pulls` list form: enough to decide whether the PR changed.
    struct PullListItem: Decodable {
        let id: Int64
        let number: Int
        let updatedAt: Date
    }

    /// `GET /pulls/{n}`: the full form.
    struct Pull: Decodable {
        let id: Int64
        let number: Int
        let title: String
        let body: String?
        let user: User?
        let state: String
        let base: Ref?
        let head: Ref?
        let merged: Bool?
        let mergeCommitSha: String?
        let labels: [Label]?
        let additions: Int?
        let deletions: Int?
        let changedFiles: Int?
        let commits: Int?
        let reviewComments: Int?
        let mergedBy: User?
        let createdAt: Date
        let updatedAt: Date
        let mergedAt: Date?
        let closedAt: Date?
    }

    struct Review: Decodable {
        let id: Int64
        let user: User?
        let state: String
        let body: String?
        let submittedAt: Date?
    }

    struct ReviewComment: Decodable {
        let id: Int64
        let user: User?
        let body: String?
        let path: String?
        let createdAt: Date
    }

    struct Signature: Decodable {
        let name: String?
        let email: String?
        let date: Date?
    }
    struct CommitDetail: Decodable {
        let message: String?
        let author: Signature?
        let committer: Signature?
    }
    struct Parent: Decodable { let sha: String }
    struct Commit: Decodable {
        let sha: String
        let commit: CommitDetail
        let parents: [Parent]?
    }

    /// `GET /commits/{sha}/pulls` element.
    struct AssociatedPull: Decodable {
        let number: Int
    }

    struct Deployment: Decodable {
        let id: Int64
        let sha: String
        let ref: String?
        let environment: String?
        let url: String?
        let createdAt: Date
    }

    struct DeploymentStatus: Decodable {
        let id: Int64
        let state: String
        let description: String?
        let createdAt: Date
    }

    struct Release: Decodable {
        let id: Int64
        let tagName: String
        let name: String?
        let targetCommitish: String?
        let draft: Bool?
        let prerelease: Bool?
        let author: User?
        let createdAt: Date
        let publishedAt: Date?
    }

    struct WorkflowRun: Decodable {
        let id: Int64
        let workflowId: Int64?
        let name: String?
        let path: String?
        let headBranch: String?
        let headSha: String
        let event: String?
        let status: String?
        let conclusion: String?
        let runAttempt: Int?
        let htmlUrl: String?
        let runStartedAt: Date?
        let createdAt: Date
        let updatedAt: Date
    }

    struct WorkflowRunsPage: Decodable {
        let workflowRuns: [Lenient<WorkflowRun>]
    }
}
