import PulseCore
import PulseETL

// Composition root of the etl service: configuration, logging and lifecycle come from
// ServiceMain; PulseETL adds authentication, the job worker and scheduler, live progress,
// the push API, imports and logs.
await ServiceMain.run(.etl) { service, logger in
    try await ETLServiceComposition.install(into: &service, logger: logger)
}
