import Foundation
import PulseAI
import PulseCore

// `pulse-ai eval` / `pulse-ai bench` run the quality evaluation and the benchmark (docs/ai.md) instead of the service.
if CommandLine.arguments.dropFirst().first == "eval" { exit(await AIEvaluation.main(Array(CommandLine.arguments.dropFirst(2)))) }
if CommandLine.arguments.dropFirst().first == "bench" { exit(await AIBenchmark.main(Array(CommandLine.arguments.dropFirst(2)))) }

// Composition root of the ai service: configuration, logging and lifecycle come from
// ServiceMain; PulseAI adds authentication, the embedding pipeline, indexes and the /ai routes.
await ServiceMain.run(.ai) { service, logger in
    try await AIServiceComposition.install(into: &service, logger: logger)
}
