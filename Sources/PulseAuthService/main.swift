import PulseCore

// Composition root of the auth service: configuration, logging and lifecycle come from
// ServiceMain; the service's own routes and readiness checks are added in the closure.
await ServiceMain.run(.auth)
