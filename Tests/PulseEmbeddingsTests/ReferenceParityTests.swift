import Foundation
import Testing

@testable import PulseEmbeddings

/// all-MiniLM-L6-v2 in Swift against sentence-transformers' own output.
@Suite struct ReferenceParityTests {
    @Test func matchesSentenceTransformersReference() throws {
        let model = try TestModel.model()
        let fixture = try ReferenceFixture.load()
        #expect(fixture.items.count == 21)
        let vectors = model.embed(fixture.items.map(\.text))
        for (item, vector) in zip(fixture.items, vectors) {
            let label = String(item.text.prefix(40))
            #expect(model.tokenizer.encode(item.text) == item.input_ids, "input_ids of \(label)")
            #expect(vector.count == 384)
            let maxDifference = zip(vector, item.embedding).map { abs($0 - $1) }.max() ?? .infinity
            let cosine = zip(vector, item.embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            #expect(maxDifference <= 1e-5, "max |Δ| \(maxDifference) for \(label)")
            #expect(cosine >= 0.99999, "cosine \(cosine) for \(label)")
        }
    }

    @Test func batchThreadsAndSingleCallsAgreeExactly() throws {
        let model = try TestModel.model()
        let texts = try ReferenceFixture.load().items.prefix(8).map(\.text)
        let single = texts.map { model.embed($0) }
        #expect(model.embed(texts, threads: 1) == single)
        #expect(model.embed(texts, threads: 3) == single)
        #expect(model.embed([], threads: 2).isEmpty)
    }

    @Test func localProviderTagsVectorsWithTheModel() async throws {
        let provider = LocalEmbeddingProvider(model: try TestModel.model())
        #expect(provider.model == EmbeddingModelInfo(name: "sentence-transformers/all-MiniLM-L6-v2", dimension: 384))
        let results = try await provider.embed(["How do I reset my password?", "I forgot my login credentials"])
        #expect(results.count == 2 && results.allSatisfy { $0.model == provider.model })
        let related = try results[0].cosineSimilarity(to: results[1])
        let unrelated = try results[0].cosineSimilarity(to: try await provider.embed("The cat sits on the mat."))
        #expect(related > unrelated)
    }
}

/// Finding the model folder, and the errors when it is missing or broken.
@Suite struct ModelFolderTests {
    @Test func environmentVariableWins() {
        let configuration = LocalModelConfiguration.resolve(
            environment: ["PULSE_EMBEDDING_MODEL_DIR": "/opt/models/minilm"], workingDirectory: "/tmp")
        #expect(configuration.folder == "/opt/models/minilm")
    }

    @Test func foundUpwardFromANestedDirectory() throws {
        let root = try TemporaryDirectory()
        defer { root.cleanup() }
        let modelFolder = root.path + "/models/all-MiniLM-L6-v2"
        try FileManager.default.createDirectory(atPath: modelFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.path + "/a/b", withIntermediateDirectories: true)
        let found = LocalModelConfiguration.resolve(environment: [:], workingDirectory: root.path + "/a/b")
        #expect(URL(fileURLWithPath: found.folder).standardizedFileURL == URL(fileURLWithPath: modelFolder).standardizedFileURL)
    }

    @Test func missingFolderErrorNamesTheFolderAndTheInstallScript() throws {
        let root = try TemporaryDirectory()
        defer { root.cleanup() }
        let configuration = LocalModelConfiguration.resolve(environment: [:], workingDirectory: root.path)
        #expect(configuration.folder == root.path + "/models/all-MiniLM-L6-v2")
        let error = #expect(throws: EmbeddingError.self) { try LocalEmbeddingModel(configuration: configuration) }
        #expect(error == .modelMissing(folder: configuration.folder, detail: "the folder does not exist"))
        #expect(error?.description.contains("scripts/install-model.sh") == true)
    }

    @Test func corruptWeightsAreRefusedNamingTheFile() throws {
        let installed = try TestModel.model().configuration.folder
        let root = try TemporaryDirectory()
        defer { root.cleanup() }
        for file in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: installed + "/" + file, toPath: root.path + "/" + file)
        }
        // A real header followed by a truncated data area.
        let original = try Data(contentsOf: URL(fileURLWithPath: installed + "/model.safetensors"))
        try original.prefix(200_000).write(to: URL(fileURLWithPath: root.path + "/model.safetensors"))
        let error = #expect(throws: EmbeddingError.self) {
            try LocalEmbeddingModel(configuration: LocalModelConfiguration(folder: root.path))
        }
        guard case .corruptModel(let file, let reason) = error else {
            Issue.record("expected corruptModel, got \(String(describing: error))")
            return
        }
        #expect(file == root.path + "/model.safetensors")
        #expect(reason.contains("out of range"))
    }
}

@Suite struct CPUCheckTests {
    @Test func kernelsBuiltForAVX2AreRefusedOnACPUWithoutIt() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/cpuinfo"
        try "processor\t: 0\nflags\t\t: fpu sse sse2 avx\n".write(toFile: path, atomically: true, encoding: .utf8)
        if LocalEmbeddingModel.kernelInstructionSet.hasPrefix("AVX2") {
            #expect(throws: EmbeddingError.unsupportedCPU("built for AVX2+FMA, this CPU lacks them")) {
                try checkCPUSupportsKernels(cpuinfo: path)
            }
        } else {
            try checkCPUSupportsKernels(cpuinfo: path)  // portable build runs anywhere
        }
        try "flags\t\t: fpu avx avx2 fma\n".write(toFile: path, atomically: true, encoding: .utf8)
        try checkCPUSupportsKernels(cpuinfo: path)
    }
}
