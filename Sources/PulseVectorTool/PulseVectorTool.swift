import ArgumentParser

@main
struct PulseVectorTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse-vector",
        abstract: "PulseVector HNSW engine tools.",
        subcommands: [Bench.self, Persist.self])
}
