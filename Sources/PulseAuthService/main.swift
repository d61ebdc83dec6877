import PulseAuth
import PulseCore

// Composition root of the auth service: configuration, logging and lifecycle come from
// ServiceMain; PulseAuth adds the token authority's routes, keys and readiness check.
await ServiceMain.run(.auth) { service, logger in
    try await AuthServiceComposition.install(into: &service, logger: logger)
}
