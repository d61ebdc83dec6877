import Foundation
import Logging
import PulseConfiguration
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// What every backend route needs: the tenant-scoped database, authentication
/// (`require(permission)`: the backend holds no RBAC logic of its own), the credential
/// sealer, and the logger.
public struct BackendContext: Sendable {
    public let database: PostgresDatabase
    public let auth: ServiceAuthentication
    /// Nil when `integrations.credentials_key` is not set: creating integrations with
    /// credentials is then refused (503), everything else works.
    public let sealer: CredentialSealer?
    public let logger: Logger

    public init(database: PostgresDatabase, auth: ServiceAuthentication, sealer: CredentialSealer?, logger: Logger) {
        self.database = database
        self.auth = auth
        self.sealer = sealer
        self.logger = logger
    }
}

/// The composition root of pulse-backend (issue 13; issue 12 items 1-2): authentication, then
/// every route of the backend's domain, each described with its schemas in `/openapi.json`.
public enum BackendServiceComposition {
    /// A configuration problem the service cannot start with.
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Returns the service's `ServiceAuthentication`, for other route families composed into
    /// pulse-backend (the analytics API: `AnalyticsComposition.install(into:auth:logger:)`).
    @discardableResult
    public static func install(into service: inout ServiceDefinition, logger: Logger,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServiceAuthentication {
        let auth = try ServiceAuthentication.install(into: &service, environment: environment, logger: logger)
        SessionRoutes.register(on: &service.routes, path: "/api/v1/session", auth: auth, service: "backend", permission: "analytics:read")
        guard let database = service.database else {
            logger.warning("No database: pulse-backend serves only /api/v1/session")
            return auth
        }
        // The environment wins (as ServiceMain's loading does); tests pass it here too.
        let key = environment["PULSE_INTEGRATIONS_CREDENTIALS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? service.snapshot.string("integrations.credentials_key")
        let sealer = try credentialSealer(key: key, logger: logger)
        let context = BackendContext(database: database, auth: auth, sealer: sealer, logger: logger)
        register(on: &service.routes, context: context)
        return auth
    }

    /// Every backend route (tests compose a service with this too).
    public static func register(on routes: inout ServiceRoutes, context: BackendContext) {
        IntegrationRoutes.register(on: &routes, context: context)
        MappingRoutes.register(on: &routes, context: context)
        ClientRoutes.register(on: &routes, context: context)
        ProfileRoutes.register(on: &routes, context: context)
        FeatureFlagRoutes.register(on: &routes, context: context)
        BrandingRoutes.register(on: &routes, context: context)
        CatalogRoutes.register(on: &routes, context: context)
        UserAdminRoutes.register(on: &routes, context: context)
        AuditTrail.register(on: &routes, context: context)
    }

    /// `integrations.credentials_key` (env `PULSE_INTEGRATIONS_CREDENTIALS_KEY`): 64 hex digits.
    static func credentialSealer(key text: String, logger: Logger) throws -> CredentialSealer? {
        guard !text.isEmpty else {
            logger.warning("integrations.credentials_key is not set: integrations with credentials cannot be created")
            return nil
        }
        guard text.utf8.count == 64, text.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }) else {
            throw Invalid(description: "integrations.credentials_key (PULSE_INTEGRATIONS_CREDENTIALS_KEY): expected 64 hex digits")
        }
        do { return CredentialSealer(key: try AESGCMKey(configured: text)) } catch {
            throw Invalid(description: "integrations.credentials_key: \(error.reason)")
        }
    }
}

