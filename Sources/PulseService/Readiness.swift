/// The outcome of one readiness check.
public enum ReadinessStatus: Sendable, Equatable {
    case ready
    /// Not ready, with what is wrong in words (`"connection refused by 127.0.0.1:5432"`).
    case notReady(String)
}

/// A named dependency check behind `GET /ready` (database reachable, upstream service up, …).
/// Checks run concurrently on every `/ready` request, each bounded by `timeout`.
public struct ReadinessCheck: Sendable {
    public var name: String
    public var timeout: Duration
    public var check: @Sendable () async -> ReadinessStatus

    public init(name: String, timeout: Duration = .seconds(2), check: @escaping @Sendable () async -> ReadinessStatus) {
        self.name = name
        self.timeout = timeout
        self.check = check
    }

    /// Runs every check concurrently; a check that overruns its timeout counts as not ready.
    static func evaluate(_ checks: [ReadinessCheck]) async -> [(name: String, status: ReadinessStatus)] {
        await withTaskGroup(of: (Int, ReadinessStatus).self) { group in
            for (index, check) in checks.enumerated() {
                group.addTask {
                    await withTaskGroup(of: ReadinessStatus?.self) { race in
                        race.addTask { await check.check() }
                        race.addTask {
                            try? await Task.sleep(for: check.timeout)
                            return Task.isCancelled ? nil : .notReady("no answer within \(check.timeout)")
                        }
                        defer { race.cancelAll() }
                        while let result = await race.next() {
                            if let result { return (index, result) }
                        }
                        return (index, .notReady("check cancelled"))
                    }
                }
            }
            var results = [ReadinessStatus?](repeating: nil, count: checks.count)
            for await (index, status) in group { results[index] = status }
            return checks.indices.map { (checks[$0].name, results[$0] ?? .notReady("check did not run")) }
        }
    }
}
