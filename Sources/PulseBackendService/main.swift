import PulseAnalytics
import PulseBackend
import PulseCore

// Composition root of the backend service: configuration, logging and lifecycle come from
// ServiceMain; authentication and every route of the backend's domain from PulseBackend,
// the DORA, delivery and portfolio analytics from PulseAnalytics.
await ServiceMain.run(.backend) { service, logger in
    let auth = try BackendServiceComposition.install(into: &service, logger: logger)
    try await AnalyticsComposition.install(into: &service, auth: auth, logger: logger)
}
