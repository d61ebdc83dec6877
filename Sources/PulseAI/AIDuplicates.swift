import Foundation
import PulseHTTP
import PulsePostgres

/// A likely duplicate pair (`GET /ai/duplicates`).
public struct DuplicatePair: Sendable, Codable, Equatable {
    public struct Item: Sendable, Codable, Equatable {
        public var type: AIItemType
        public var id: Int64
        public var key: String?
        public var title: String
    }
    public var a: Item
    public var b: Item
    /// Cosine similarity of the two embeddings.
    public var score: Double
}

extension AISearch {
    /// Pairs of work items of a project (or the whole client) that are mutual near neighbours
    /// at least `threshold` similar, best first; pairs marked "not a duplicate" are left out.
    func duplicates(clientID: Int, projectID: Int?, threshold: Double, limit: Int, neighbours: Int = 5) async throws -> [DuplicatePair] {
        let side = try await vectorSide(clientID: clientID)
        let model = side.provider.model.name
        let rows = try await database.client(clientID).query("""
            SELECT d.item_id, w.embedding::real[] FROM ai_documents d
            JOIN work_items w ON w.client_id = d.client_id AND w.id = d.item_id
            WHERE d.client_id = $1 AND d.item_type = 'work_item' AND ($2::int IS NULL OR d.project_id = $2)
              AND w.embedding IS NOT NULL AND w.embedding_model = $3
            """, [clientID, projectID, model])
        var members = Set<UInt64>()
        var vectors: [(AIItemRef, [Float])] = []
        for row in rows {
            let ref = AIItemRef(type: .workItem, id: try row.decode(Int64.self, at: 0))
            members.insert(ref.vectorID)
            vectors.append((ref, try row.decode([Float].self, at: 1)))
        }
        let rejected = try await feedback.notDuplicatePairs(clientID: clientID)
        // Each item's nearest neighbours; a pair is proposed when it is above the threshold and
        // mutual: each is among the other's `mutual` nearest (a near-copy is the closest item to
        // its twin; an item merely like many others is not).
        let mutual = 2
        var nearest: [AIItemRef: [(AIItemRef, Double)]] = [:]
        for (ref, vector) in vectors {
            let hits = try side.index.index.search(vector, k: neighbours, ef: 64) { id in id != ref.vectorID && members.contains(id) }
            nearest[ref] = hits.compactMap { hit in AIItemRef(vectorID: hit.id).map { ($0, Double(1 - hit.distance)) } }
        }
        var best: [String: (AIItemRef, AIItemRef, Double)] = [:]
        for (ref, hits) in nearest {
            for (other, similarity) in hits.prefix(mutual) where similarity >= threshold {
                guard nearest[other]?.prefix(mutual).contains(where: { $0.0 == ref }) == true else { continue }
                let key = FeedbackStore.pairKey(ref, other)
                if rejected.contains(key) || best[key] != nil { continue }
                best[key] = ref < other ? (ref, other, similarity) : (other, ref, similarity)
            }
        }
        let pairs = best.values.sorted { $0.2 != $1.2 ? $0.2 > $1.2 : $0.0 < $1.0 }.prefix(limit)
        let refs = Array(Set(pairs.flatMap { [$0.0, $0.1] }))
        let details = try await self.details(clientID: clientID, refs: refs, words: [])
        return pairs.compactMap { a, b, score in
            guard let x = details[a], let y = details[b] else { return nil }
            return DuplicatePair(a: .init(type: a.type, id: a.id, key: x.key, title: x.title),
                                 b: .init(type: b.type, id: b.id, key: y.key, title: y.title), score: score)
        }
    }
}
