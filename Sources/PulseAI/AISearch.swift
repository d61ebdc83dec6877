import Foundation
import PulseEmbeddings
import PulseHTTP
import PulsePostgres

/// What to search for (`GET /ai/search`).
public struct SearchQuery: Sendable {
    public enum Mode: String, Sendable, CaseIterable { case hybrid, keyword, vector }
    public var text: String
    public var types: Set<AIItemType> = Set(AIItemType.allCases)
    public var projectID: Int?
    public var repositoryID: Int?
    public var limit = 20
    public var mode: Mode = .hybrid
    /// Weight of the keyword list against the vector list (1) in the fusion.
    public var keywordWeight = SearchQuery.defaultKeywordWeight
    public static let defaultKeywordWeight = 1.0

    public init(text: String) { self.text = text }

    /// Longest accepted query, in characters.
    public static let maximumLength = 1000
    public static let maximumLimit = 100
}

/// One search result.
public struct SearchHit: Sendable, Codable, Equatable {
    public var type: AIItemType
    public var id: Int64
    public var key: String?
    public var title: String
    public var snippet: String
    public var projectId: Int?
    public var repositoryId: Int?
    /// The fused score (reciprocal rank fusion) or, for one-sided modes, 1/(60 + rank).
    public var score: Double
    public var vectorRank: Int?
    public var keywordRank: Int?
    /// Cosine similarity to the query, when the vector side found it.
    public var similarity: Double?
    /// Query words found in the item's text (for highlighting).
    public var matchedTerms: [String]
}

public struct SearchAnswer: Sendable, Codable {
    public var query: String
    public var mode: String
    public var model: String?
    public var results: [SearchHit]
    /// Set when one side could not run (e.g. the embedding provider failed): said, not hidden.
    public var notes: [String]
}

/// Hybrid search over a client's documents: the HNSW index (vector similarity) and
/// PostgreSQL full-text search on the same `ai_documents` rows, fused by reciprocal rank.
final class AISearch: Sendable {
    let documents: AIDocumentStore
    let settings: AISettingsStore
    let indexes: VectorIndexStore
    let feedback: FeedbackStore
    let monitor: AIMonitor
    var database: PostgresDatabase { documents.database }

    init(documents: AIDocumentStore, settings: AISettingsStore, indexes: VectorIndexStore, feedback: FeedbackStore, monitor: AIMonitor) {
        self.documents = documents
        self.settings = settings
        self.indexes = indexes
        self.feedback = feedback
        self.monitor = monitor
    }

    /// The lower-cased words of a query (letters and digits), unique, in order, at most 32.
    static func words(_ text: String) -> [String] {
        var seen = Set<String>(), result: [String] = []
        for word in text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }) where word.count <= 64 {
            let w = String(word)
            if seen.insert(w).inserted { result.append(w) }
            if result.count == 32 { break }
        }
        return result
    }

    /// The client's current provider, its model's index, and the index key.
    func vectorSide(clientID: Int) async throws -> (provider: any EmbeddingProvider, index: ClientIndex) {
        let provider = try await settings.provider(clientID: clientID)
        let key = VectorIndexStore.Key(clientID: clientID, model: provider.model.name, dimension: provider.model.dimension)
        return (provider, try await indexes.index(key))
    }

    /// Items of the client matching the project/repository filter (nil: no filter).
    func allowedItems(clientID: Int, projectID: Int?, repositoryID: Int?) async throws -> Set<UInt64>? {
        guard projectID != nil || repositoryID != nil else { return nil }
        let rows = try await database.client(clientID).query("""
            SELECT item_type, item_id FROM ai_documents WHERE client_id = $1
              AND ($2::int IS NULL OR project_id = $2) AND ($3::int IS NULL OR repository_id = $3)
            """, [clientID, projectID, repositoryID])
        var set = Set<UInt64>()
        for row in rows {
            if let type = AIItemType(rawValue: try row.decode(String.self, at: 0)) {
                set.insert(AIItemRef(type: type, id: try row.decode(Int64.self, at: 1)).vectorID)
            }
        }
        return set
    }

    func search(clientID: Int, _ query: SearchQuery) async throws -> SearchAnswer {
        let started = ContinuousClock.now
        let text = query.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let words = Self.words(text)
        let candidates = max(query.limit * 3, 50)
        var notes: [String] = []
        var model: String?
        var vectorList: [AIItemRef] = [], similarity: [AIItemRef: Double] = [:]
        let allowed = try await allowedItems(clientID: clientID, projectID: query.projectID, repositoryID: query.repositoryID)
        if query.mode != .keyword {
            do {
                let side = try await vectorSide(clientID: clientID)
                model = side.provider.model.name
                let vector = try await side.provider.embed(text).vector
                let types = query.types
                let hits = try side.index.index.search(vector, k: candidates, ef: max(candidates, 100)) { id in
                    guard let ref = AIItemRef(vectorID: id), types.contains(ref.type) else { return false }
                    return allowed?.contains(id) ?? true
                }
                for hit in hits {
                    guard let ref = AIItemRef(vectorID: hit.id) else { continue }
                    vectorList.append(ref)
                    similarity[ref] = Double(1 - hit.distance)
                }
            } catch {
                if query.mode == .vector { throw HTTPError(.serviceUnavailable, detail: "vector search unavailable: \(error)") }
                notes.append("vector search unavailable, keyword results only: \(error)")
            }
        }
        var keywordList: [AIItemRef] = []
        if query.mode != .vector, !words.isEmpty {
            let rows = try await database.client(clientID).query("""
                SELECT item_type, item_id FROM ai_documents, to_tsquery('english', $2) q
                WHERE client_id = $1 AND search_vector @@ q AND item_type = ANY($3::text[])
                  AND ($4::int IS NULL OR project_id = $4) AND ($5::int IS NULL OR repository_id = $5)
                ORDER BY ts_rank_cd(search_vector, q, 1) DESC, item_type, item_id LIMIT $6
                """, [clientID, words.joined(separator: " | "), query.types.map(\.rawValue).sorted(), query.projectID,
                      query.repositoryID, candidates])
            for row in rows {
                if let type = AIItemType(rawValue: try row.decode(String.self, at: 0)) {
                    keywordList.append(AIItemRef(type: type, id: try row.decode(Int64.self, at: 1)))
                }
            }
        }
        let rejected = try await feedback.rejectedSearchResults(clientID: clientID, query: text)
        let lists: [[AIItemRef]]
        switch query.mode {
        case .hybrid: lists = [vectorList, keywordList]
        case .keyword: lists = [keywordList]
        case .vector: lists = [vectorList]
        }
        let weights = query.mode == .hybrid ? [1, query.keywordWeight] : [1]
        let fused = RankFusion.fuse(lists.map { $0.filter { !rejected.contains($0) } }, weights: weights).prefix(query.limit)
        let vectorRank = Dictionary(vectorList.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        let keywordRank = Dictionary(keywordList.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { a, _ in a })
        let details = try await self.details(clientID: clientID, refs: fused.map(\.id), words: words)
        var results: [SearchHit] = []
        for (ref, score) in fused {
            guard var hit = details[ref] else { continue }  // deleted since it was indexed
            hit.score = score
            hit.vectorRank = vectorRank[ref]
            hit.keywordRank = keywordRank[ref]
            hit.similarity = similarity[ref]
            results.append(hit)
        }
        monitor.searched(clientID: clientID, mode: query.mode.rawValue, seconds: (ContinuousClock.now - started).seconds)
        return SearchAnswer(query: text, mode: query.mode.rawValue, model: model, results: results, notes: notes)
    }

    /// Title, key, snippet and matched words of each item.
    func details(clientID: Int, refs: [AIItemRef], words: [String]) async throws -> [AIItemRef: SearchHit] {
        guard !refs.isEmpty else { return [:] }
        let rows = try await database.client(clientID).query("""
            SELECT item_type, item_id, item_key, title, left(body, 240), project_id, repository_id,
                   ARRAY(SELECT w FROM unnest($3::text[]) w WHERE search_vector @@ plainto_tsquery('english', w)) AS matched
            FROM ai_documents WHERE client_id = $1 AND (item_type || ':' || item_id) = ANY($2::text[])
            """, [clientID, refs.map(\.description), words])
        var result: [AIItemRef: SearchHit] = [:]
        for row in rows {
            guard let type = AIItemType(rawValue: try row.decode(String.self, at: 0)) else { continue }
            let ref = AIItemRef(type: type, id: try row.decode(Int64.self, at: 1))
            result[ref] = SearchHit(type: type, id: ref.id, key: try row.decode(String?.self, at: 2), title: try row.decode(String.self, at: 3),
                                    snippet: try row.decode(String.self, at: 4), projectId: try row.decode(Int?.self, at: 5),
                                    repositoryId: try row.decode(Int?.self, at: 6), score: 0, vectorRank: nil, keywordRank: nil,
                                    similarity: nil, matchedTerms: try row.decode([String].self, at: 7))
        }
        return result
    }

    /// Whether the client has a document for `ref`.
    func exists(clientID: Int, ref: AIItemRef) async throws -> Bool {
        try await database.client(clientID).query(
            "SELECT 1 FROM ai_documents WHERE client_id = $1 AND item_type = $2 AND item_id = $3",
            [clientID, ref.type.rawValue, ref.id]).count > 0
    }

    /// The items nearest to `ref` (itself excluded).
    func similar(clientID: Int, ref: AIItemRef, types: Set<AIItemType>, limit: Int) async throws -> [SearchHit] {
        guard try await exists(clientID: clientID, ref: ref) else { throw HTTPError(.notFound, detail: "no \(ref.type.rawValue) \(ref.id)") }
        let side = try await vectorSide(clientID: clientID)
        guard let vector = try await documents.vector(clientID: clientID, ref: ref, model: side.provider.model.name) else {
            throw HTTPError(.conflict, detail: "\(ref.type.rawValue) \(ref.id) has no embedding yet (no text, or still in the backlog)")
        }
        let hits = try side.index.index.search(vector, k: limit + 1, ef: max(limit + 1, 100)) { id in
            guard let other = AIItemRef(vectorID: id) else { return false }
            return other != ref && types.contains(other.type)
        }
        let refs = hits.compactMap { AIItemRef(vectorID: $0.id) }
        let details = try await self.details(clientID: clientID, refs: refs, words: [])
        var result: [SearchHit] = []
        for (rank, hit) in hits.prefix(limit).enumerated() {
            guard let other = AIItemRef(vectorID: hit.id), var item = details[other] else { continue }
            item.similarity = Double(1 - hit.distance)
            item.score = item.similarity ?? 0
            item.vectorRank = rank + 1
            result.append(item)
        }
        return result
    }
}
