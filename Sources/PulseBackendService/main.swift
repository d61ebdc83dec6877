import PulseBackend
import PulseCore

// Composition root of the backend service: configuration, logging and lifecycle come from
// ServiceMain; authentication and every route of the backend's domain from PulseBackend.
await ServiceMain.run(.backend) { service, logger in
    try BackendServiceComposition.install(into: &service, logger: logger)
}
