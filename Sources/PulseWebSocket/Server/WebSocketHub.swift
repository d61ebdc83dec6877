import Synchronization

/// Topic broadcast: sessions subscribe to topics, `publish` sends to every subscriber.
///
/// Publishing never waits: it uses `trySend`, so one slow subscriber is disconnected
/// (1008) instead of delaying the others or growing memory. Closed sessions leave
/// their topics automatically. ETL job progress uses one topic per job.
public final class WebSocketHub: Sendable {
    private let topics = Mutex<[String: [ObjectIdentifier: WebSocketSession]]>([:])

    public init() {}

    /// Subscribes `session` to `topic` (idempotent).
    public func subscribe(_ session: WebSocketSession, to topic: String) {
        let id = ObjectIdentifier(session)
        let added = topics.withLock { t in t[topic, default: [:]].updateValue(session, forKey: id) == nil }
        if added {
            session.onClose { [weak self] in self?.unsubscribe(id: id, from: topic) }
        }
    }

    public func unsubscribe(_ session: WebSocketSession, from topic: String) {
        unsubscribe(id: ObjectIdentifier(session), from: topic)
    }

    private func unsubscribe(id: ObjectIdentifier, from topic: String) {
        topics.withLock { t in
            t[topic]?.removeValue(forKey: id)
            if t[topic]?.isEmpty == true { t[topic] = nil }
        }
    }

    /// Sends `message` to every subscriber of `topic`; returns how many accepted it.
    @discardableResult
    public func publish(_ message: WebSocketMessage, to topic: String) -> Int {
        let subscribers = topics.withLock { $0[topic].map { Array($0.values) } ?? [] }
        var delivered = 0
        for session in subscribers where session.trySend(message) { delivered += 1 }
        return delivered
    }

    public func subscriberCount(of topic: String) -> Int { topics.withLock { $0[topic]?.count ?? 0 } }
}
