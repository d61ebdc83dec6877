import PulseAI
import PulseCore

// Composition root of the ai service: configuration, logging and lifecycle come from
// ServiceMain; PulseAI adds authentication, the embedding pipeline, indexes and the /ai routes.
await ServiceMain.run(.ai) { service, logger in
    try await AIServiceComposition.install(into: &service, logger: logger)
}
