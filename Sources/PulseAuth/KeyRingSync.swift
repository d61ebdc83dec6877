import Foundation
import Logging
import PulsePostgres
import PulseSecurity

/// The NOTIFY channel on which a rotation announces its new `kid`.
public enum KeyRingChannel {
    public static let name = "pulse_auth_keys"
}

/// Keeps the signing-key ring of every auth process current: a rotation in one process
/// (`rotateSigningKey`) NOTIFYs in its transaction, and each other process reloads the ring
/// from `signing_keys`, signs with the new key and publishes it in its JWKS. After a LISTEN
/// reconnect the ring is reloaded too (a rotation may have been missed). Cancel the task to stop.
public enum KeyRingSubscriber {
    public static func start(conninfo: String, service: AuthService, logger: Logger = Logger(label: "pulse.auth.keys"))
        async throws -> Task<Void, Never>
    {
        @Sendable func reload() async {
            do { try await service.reloadSigningKeys() } catch {
                logger.error("Could not reload the signing keys", metadata: ["error": "\(error)"])
            }
        }
        let listener = try PostgresListener(conninfo: conninfo, channels: [KeyRingChannel.name]) {
            logger.warning("Key-ring listener reconnected; reloading the signing keys")
            Task { await reload() }
        }
        return Task {
            do {
                for try await _ in listener { await reload() }
            } catch {
                if !Task.isCancelled { logger.error("Key-ring listener stopped", metadata: ["error": "\(error)"]) }
            }
        }
    }
}

extension AuthService {
    /// Reloads the ring from the database (another auth process rotated), republishes the
    /// JWKS and refreshes this process's verifier, so tokens of the new key verify at once.
    public func reloadSigningKeys() async throws {
        let loaded = try await keys.load(now: clock.now())
        guard loaded.activeKey != nil else { return }
        ring.withLock { $0 = loaded }
        jwksSource.publish(loaded.jwks(now: clock.now()))
        _ = try? await verifier.keys.refresh(force: true)
    }
}
