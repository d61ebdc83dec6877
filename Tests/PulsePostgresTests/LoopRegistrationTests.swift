import Foundation
@testable import PulsePostgres
import PulseSystem
import Synchronization
import Testing

/// The connection a loop task is using now (for the watchdog).
private final class CurrentConnection: Sendable {
    let value = Mutex<PostgresConnection?>(nil)
}

/// An event loop's readiness set keeps a query socket registered between waits; these
/// check the cases where that registration must be made again or dropped.
extension ClusterSuite {
    /// Runs `body` on `loop`; if it has not finished within 20 s, `connection` is closed
    /// (which wakes a stuck wait with an error), so a lost wake-up fails instead of hanging.
    private static func onLoop<T: Sendable>(
        _ loop: EventLoop, guarding connection: @escaping @Sendable () -> PostgresConnection?,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let watchdog = Task {
            try await Task.sleep(for: .seconds(20))
            connection()?.close()
        }
        defer { watchdog.cancel() }
        return try await Task(executorPreference: loop, operation: body).value
    }

    /// Connections opened and closed one after another reuse descriptor numbers; a new
    /// connection on the same loop must be registered afresh, not mistaken for the old one.
    @Test func aReusedSocketNumberOnALoopIsRegisteredAgain() async throws {
        let url = try await Self.handle().connection.primaryURL
        let group = try EventLoopGroup(count: 1)
        let current = CurrentConnection()
        let values = try await Self.onLoop(group.loops[0], guarding: { current.value.withLock { $0 } }) {
            var values: [Int] = []
            for round in 0..<6 {
                let connection = try await PostgresConnection.connect(url)
                current.value.withLock { $0 = connection }
                for i in 0..<3 {
                    values.append(try await connection.query("SELECT $1::int + $2::int", [round, i])[0].decode(Int.self, at: 0))
                }
                connection.close()
            }
            return values
        }
        #expect(values == (0..<6).flatMap { round in (0..<3).map { round + $0 } })
        await group.shutdown()
    }

    /// The server ends an idle connection whose socket is still registered on the loop:
    /// the loop drops the registration, and the next statement fails as connection lost
    /// (it does not hang); a fresh connection on the same loop works.
    @Test func aServerClosingAnIdleLoopConnectionFailsTheNextStatement() async throws {
        let url = try await Self.handle().connection.primaryURL
        let group = try EventLoopGroup(count: 1)
        let loop = group.loops[0]
        let connection = try await PostgresConnection.connect(url)
        defer { connection.close() }
        let pid = try await Self.onLoop(loop, guarding: { connection }) {
            try await connection.query("SELECT pg_backend_pid()")[0].decode(Int.self, at: 0)
        }
        let admin = try await Self.superuser()
        defer { admin.close() }
        try await admin.query("SELECT pg_terminate_backend($1)", [pid])
        #expect(try await Self.eventually {
            try await admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [pid])[0].decode(Int.self, at: 0) == 0
        })
        try await Task.sleep(for: .milliseconds(100))  // let the loop see the hang-up while nobody waits
        let error = await #expect(throws: PostgresError.self) {
            try await Self.onLoop(loop, guarding: { connection }) { try await connection.query("SELECT 1") }
        }
        #expect(error?.code == .connectionLost)
        let fresh = try await PostgresConnection.connect(url)
        defer { fresh.close() }
        let value = try await Self.onLoop(loop, guarding: { fresh }) {
            try await fresh.query("SELECT 41 + 1")[0].decode(Int.self, at: 0)
        }
        #expect(value == 42)
        await group.shutdown()
    }
}
