import Foundation
import PulseHTTP
import PulsePostgres

/// Feedback on an AI answer (`POST /ai/feedback`).
public struct FeedbackInput: Sendable, Decodable {
    public struct Item: Sendable, Decodable {
        public var type: AIItemType
        public var id: Int64
    }
    /// search, similar, duplicate, estimate, forecast, alert, validation.
    public var answerType: String
    /// e.g. wrong, not_duplicate, off, correct.
    public var verdict: String
    public var query: String?
    public var items: [Item]?
    public var predictionId: Int?
    public var comment: String?
    public var correction: String?

    static let answerTypes: Set<String> = ["search", "similar", "duplicate", "estimate", "forecast", "alert", "validation"]
}

/// `ai_learning_memory`: every piece of feedback, and what the service does with it. A pair
/// marked `not_duplicate` is not proposed again; a search result marked `wrong` is not
/// returned again for the same query (same words).
struct FeedbackStore: Sendable {
    let database: PostgresDatabase

    static func normalise(_ query: String) -> String { AISearch.words(query).joined(separator: " ") }

    static func pairKey(_ a: AIItemRef, _ b: AIItemRef) -> String {
        let (x, y) = a < b ? (a, b) : (b, a)
        return "pair:\(x)|\(y)"
    }

    /// Validates and stores feedback; returns the ids of the rows written.
    func record(clientID: Int, userID: String, _ input: FeedbackInput) async throws -> [Int] {
        guard FeedbackInput.answerTypes.contains(input.answerType) else {
            throw HTTPError(.badRequest, detail: "answer_type must be one of \(FeedbackInput.answerTypes.sorted().joined(separator: ", "))")
        }
        let verdict = input.verdict.trimmingCharacters(in: .whitespaces)
        guard !verdict.isEmpty, verdict.count <= 30 else { throw HTTPError(.badRequest, detail: "verdict needs 1 to 30 characters") }
        for text in [input.query, input.comment, input.correction] where (text?.utf8.count ?? 0) > 10_000 {
            throw HTTPError(.badRequest, detail: "query, comment and correction are limited to 10,000 bytes")
        }
        let items = (input.items ?? []).map { AIItemRef(type: $0.type, id: $0.id) }
        guard items.count <= 100 else { throw HTTPError(.badRequest, detail: "at most 100 items") }
        var messageIDs: [String?]
        switch (input.answerType, verdict) {
        case ("duplicate", "not_duplicate"), ("duplicate", "duplicate"):
            guard items.count == 2, items[0] != items[1] else { throw HTTPError(.badRequest, detail: "a duplicate verdict names exactly two items") }
            messageIDs = [Self.pairKey(items[0], items[1])]
        case ("search", _), ("similar", _):
            guard !items.isEmpty else { throw HTTPError(.badRequest, detail: "name the result items the verdict is about") }
            messageIDs = items.map { "item:\($0)" }
        default:
            messageIDs = [input.predictionId.map { "prediction:\($0)" } ?? items.first.map { "item:\($0)" }]
        }
        let query = input.query.map(Self.normalise) ?? ""
        let issue = "\(verdict)" + (items.isEmpty ? "" : " on " + items.map(\.description).joined(separator: ", "))
        return try await database.client(clientID).write { tx in
            var ids: [Int] = []
            for messageID in messageIDs {
                let rows = try await tx.query("""
                    INSERT INTO ai_learning_memory (error_type, user_intent, failed_query, specific_issue, user_feedback, user_correction,
                                                    message_id, client_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                    """, [String("\(input.answerType):\(verdict)".prefix(50)), "\(input.answerType) (user \(userID))", query, issue,
                          input.comment, input.correction, messageID, clientID])
                ids.append(try rows[0].decode(Int.self, at: 0))
            }
            return ids
        }
    }

    /// Pairs an admin marked as not duplicates (latest verdict per pair wins).
    func notDuplicatePairs(clientID: Int) async throws -> Set<String> {
        let rows = try await database.client(clientID).query("""
            SELECT DISTINCT ON (message_id) message_id, error_type FROM ai_learning_memory
            WHERE client_id = $1 AND error_type IN ('duplicate:not_duplicate', 'duplicate:duplicate') AND message_id IS NOT NULL
            ORDER BY message_id, id DESC
            """, [clientID])
        var set = Set<String>()
        for row in rows where try row.decode(String.self, at: 1) == "duplicate:not_duplicate" {
            set.insert(try row.decode(String.self, at: 0))
        }
        return set
    }

    /// Items marked wrong for this query.
    func rejectedSearchResults(clientID: Int, query: String) async throws -> Set<AIItemRef> {
        let normalised = Self.normalise(query)
        guard !normalised.isEmpty else { return [] }
        let rows = try await database.client(clientID).query("""
            SELECT message_id FROM ai_learning_memory
            WHERE client_id = $1 AND error_type = 'search:wrong' AND failed_query = $2 AND message_id LIKE 'item:%'
            """, [clientID, normalised])
        var set = Set<AIItemRef>()
        for row in rows {
            let text = try row.decode(String.self, at: 0).dropFirst("item:".count)
            let parts = text.split(separator: ":")
            if parts.count == 2, let type = AIItemType(rawValue: String(parts[0])), let id = Int64(parts[1]) {
                set.insert(AIItemRef(type: type, id: id))
            }
        }
        return set
    }

    struct Row: Sendable, Codable {
        var id: Int
        var errorType: String
        var userIntent: String
        var failedQuery: String
        var specificIssue: String
        var userFeedback: String?
        var userCorrection: String?
        var messageId: String?
        var createdAt: Date?
    }

    func list(clientID: Int, limit: Int) async throws -> [Row] {
        let rows = try await database.client(clientID).query("""
            SELECT id, error_type, user_intent, failed_query, specific_issue, user_feedback, user_correction, message_id, created_at
            FROM ai_learning_memory WHERE client_id = $1 ORDER BY id DESC LIMIT $2
            """, [clientID, limit])
        return try rows.map { try $0.decode(as: Row.self) }
    }
}
