import Foundation
import PulseHTTP
import PulsePostgres

/// A story-point estimate (`POST /ai/estimates/story-points`).
public struct StoryPointEstimate: Sendable, Codable {
    public struct Neighbour: Sendable, Codable {
        public var id: Int64
        public var key: String
        public var summary: String
        public var storyPoints: Double
        public var similarity: Double
        /// Days from creation to resolution.
        public var cycleTimeDays: Double?
    }
    public var workItemId: Int64
    public var key: String
    public var estimate: Double
    /// 0...1: how similar the neighbours are and how much they agree.
    public var confidence: Double
    public var estimatedCycleTimeDays: Double?
    public var model: String
    public var predictionId: Int?
    public var neighbours: [Neighbour]
    public var reason: String
}

/// Story points from the most similar finished items with story points (k nearest
/// neighbours in the client's index): the similarity-weighted median of their points.
struct StoryPointEstimator: Sendable {
    static let modelPrefix = "story-points-knn-v1"
    let search: AISearch
    var database: PostgresDatabase { search.database }
    var neighbourCount = 7

    /// Similarity-weighted median: the smallest value whose cumulative weight reaches half.
    static func weightedMedian(_ values: [(value: Double, weight: Double)]) -> Double? {
        let items = values.filter { $0.weight > 0 }.sorted { $0.value < $1.value }
        let total = items.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return nil }
        var running = 0.0
        for item in items {
            running += item.weight
            if running >= total / 2 - 1e-12 { return item.value }
        }
        return items.last?.value
    }

    /// How far to trust an estimate, 0...1: the share of the neighbours' weight (similarity²)
    /// whose points are within half the estimate of it, times the mean similarity of those
    /// agreeing neighbours.
    static func confidence(points: [Double], similarities: [Double], estimate: Double) -> Double {
        var total = 0.0, agreeing = 0.0, agreeingSimilarity = 0.0, agreeingCount = 0.0
        for (point, similarity) in zip(points, similarities) {
            let weight = max(0.01, similarity) * max(0.01, similarity)
            total += weight
            if abs(point - estimate) <= estimate * 0.5 {
                agreeing += weight
                agreeingSimilarity += similarity
                agreeingCount += 1
            }
        }
        guard total > 0, agreeingCount > 0 else { return 0 }
        return max(0, min(1, agreeing / total * agreeingSimilarity / agreeingCount))
    }

    func estimate(clientID: Int, workItemID: Int64, log: Bool = true) async throws -> StoryPointEstimate {
        let rows = try await database.client(clientID).query(
            "SELECT key, resolved_at IS NOT NULL FROM work_items WHERE client_id = $1 AND id = $2", [clientID, workItemID])
        guard let item = rows.first else { throw HTTPError(.notFound, detail: "no work item \(workItemID)") }
        let key = try item.decode(String.self, at: 0)
        guard try !item.decode(Bool.self, at: 1) else { throw HTTPError(.conflict, detail: "work item \(key) is already done") }
        let side = try await search.vectorSide(clientID: clientID)
        let model = side.provider.model.name
        guard let vector = try await search.documents.vector(clientID: clientID, ref: AIItemRef(type: .workItem, id: workItemID), model: model) else {
            throw HTTPError(.conflict, detail: "work item \(key) has no embedding yet (no text, or still in the backlog)")
        }
        let finished = try await database.client(clientID).query("""
            SELECT id, key, summary, story_points, EXTRACT(EPOCH FROM (resolved_at - source_created_at)) / 86400
            FROM work_items WHERE client_id = $1 AND resolved_at IS NOT NULL AND story_points IS NOT NULL AND id <> $2
            """, [clientID, workItemID])
        var known: [UInt64: StoryPointEstimate.Neighbour] = [:]
        for row in finished {
            let id = try row.decode(Int64.self, at: 0)
            known[AIItemRef(type: .workItem, id: id).vectorID] = .init(
                id: id, key: try row.decode(String.self, at: 1), summary: try row.decode(String.self, at: 2),
                storyPoints: try row.decode(Double.self, at: 3), similarity: 0, cycleTimeDays: try row.decode(Double?.self, at: 4))
        }
        guard !known.isEmpty else {
            throw HTTPError(.unprocessableContent, detail: "the client has no finished work items with story points to learn from")
        }
        let hits = try side.index.index.search(vector, k: neighbourCount, ef: 200) { known[$0] != nil }
        var neighbours: [StoryPointEstimate.Neighbour] = []
        for hit in hits {
            guard var neighbour = known[hit.id] else { continue }
            neighbour.similarity = Double(1 - hit.distance)
            neighbours.append(neighbour)
        }
        guard let estimate = Self.weightedMedian(neighbours.map { ($0.storyPoints, max(0.01, $0.similarity) * max(0.01, $0.similarity)) }) else {
            throw HTTPError(.unprocessableContent, detail: "no similar finished items with story points")
        }
        let confidence = Self.confidence(points: neighbours.map(\.storyPoints), similarities: neighbours.map(\.similarity), estimate: estimate)
        let cycle = RobustStatistics.median(neighbours.compactMap(\.cycleTimeDays))
        let modelName = "\(Self.modelPrefix)/\(model)"
        var result = StoryPointEstimate(
            workItemId: workItemID, key: key, estimate: estimate, confidence: confidence, estimatedCycleTimeDays: cycle, model: modelName,
            predictionId: nil, neighbours: neighbours,
            reason: "median of the story points, weighted by similarity squared, of the \(neighbours.count) most similar finished items")
        if log {
            let features = try JSONSerialization.data(withJSONObject: [
                "work_item_id": workItemID, "key": key, "confidence": confidence,
                "neighbours": neighbours.map { ["id": $0.id, "story_points": $0.storyPoints, "similarity": $0.similarity] },
            ], options: [.sortedKeys])
            let inserted = try await database.client(clientID).query("""
                INSERT INTO ai_predictions (model_name, prediction_value, input_features, prediction_type, client_id)
                VALUES ($1, $2, $3, 'story_points', $4) RETURNING id
                """, [modelName, estimate, String(decoding: features, as: UTF8.self), clientID])
            result.predictionId = try inserted[0].decode(Int.self, at: 0)
        }
        return result
    }
}
