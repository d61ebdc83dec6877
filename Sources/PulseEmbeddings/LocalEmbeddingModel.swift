import Dispatch
import Foundation
import PulseEmbeddingKernels

/// Where the local model lives. Defaults: env `PULSE_EMBEDDING_MODEL_DIR`, else
/// `models/all-MiniLM-L6-v2` in the working directory or the nearest parent that has it.
public struct LocalModelConfiguration: Sendable, Equatable {
    public static let defaultRelativeFolder = "models/all-MiniLM-L6-v2"
    public static let environmentVariable = "PULSE_EMBEDDING_MODEL_DIR"

    /// The model folder (holding model.safetensors, vocab.txt, config.json).
    public var folder: String
    /// Name recorded with every vector.
    public var modelName = "sentence-transformers/all-MiniLM-L6-v2"
    /// Token limit including [CLS]/[SEP] (sentence-transformers' max_seq_length).
    public var maxTokens = 256
    /// Threads used by `embed(_ texts:)`; 1 = the caller's thread only.
    public var threads = 1

    public init(folder: String, threads: Int = 1) {
        self.folder = folder
        self.threads = threads
    }

    /// The folder from the environment, or found upward from `workingDirectory`. When no
    /// folder is found the result names `workingDirectory/models/all-MiniLM-L6-v2`, so the
    /// load error tells the operator where the model was expected.
    public static func resolve(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) -> LocalModelConfiguration {
        if let folder = environment[environmentVariable], !folder.isEmpty {
            return LocalModelConfiguration(folder: folder)
        }
        var directory = URL(fileURLWithPath: workingDirectory).standardizedFileURL
        while true {
            let candidate = directory.appendingPathComponent(defaultRelativeFolder).path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return LocalModelConfiguration(folder: candidate)
            }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return LocalModelConfiguration(
            folder: URL(fileURLWithPath: workingDirectory).appendingPathComponent(defaultRelativeFolder).path)
    }
}

/// all-MiniLM-L6-v2 computed in process: tokenizer + 6-layer encoder + mean pooling +
/// L2 normalisation. Thread-safe; `embed` calls may run concurrently.
public final class LocalEmbeddingModel: Sendable {
    public let configuration: LocalModelConfiguration
    public let tokenizer: WordPieceTokenizer
    package let encoder: BertEncoder
    /// Vector length (384 for all-MiniLM-L6-v2).
    public var dimension: Int { encoder.configuration.hiddenSize }
    /// Tokens encoded together through the linear layers: bounds the workspace (~8 MB)
    /// and keeps a layer's activations cache-resident.
    static let maxRowsPerPass = 512
    /// Workspaces of finished calls, reused so buffers are not re-faulted on every call.
    private let workspaces = WorkspacePool()

    /// Loads and validates the model folder; errors name the folder or file at fault.
    public init(configuration: LocalModelConfiguration) throws(EmbeddingError) {
        self.configuration = configuration
        try checkCPUSupportsKernels()
        let folder = configuration.folder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .modelMissing(folder: folder, detail: "the folder does not exist")
        }
        for file in ["model.safetensors", "vocab.txt", "config.json"]
        where !FileManager.default.fileExists(atPath: folder + "/" + file) {
            throw .modelMissing(folder: folder, detail: "\(file) is missing")
        }
        let bert = try BertConfiguration(file: folder + "/config.json")
        guard configuration.maxTokens >= 2, configuration.maxTokens <= bert.maxPositions else {
            throw .invalidRequest("maxTokens must be within 2...\(bert.maxPositions)")
        }
        tokenizer = try WordPieceTokenizer(vocabularyFile: folder + "/vocab.txt", maxTokens: configuration.maxTokens)
        guard tokenizer.vocabularySize == bert.vocabularySize else {
            throw .corruptModel(
                file: folder + "/vocab.txt",
                reason: "\(tokenizer.vocabularySize) tokens, config.json says \(bert.vocabularySize)")
        }
        encoder = try BertEncoder(weights: SafeTensorsFile(path: folder + "/model.safetensors"), configuration: bert)
    }

    /// The instruction set the matrix kernels were compiled for (for logs and benchmarks).
    public static var kernelInstructionSet: String { PulseEmbeddingKernels.kernelInstructionSet }

    /// Loads the model from `LocalModelConfiguration.resolve()`.
    public convenience init() throws(EmbeddingError) {
        try self.init(configuration: .resolve())
    }

    /// The unit-length embedding of one text.
    public func embed(_ text: String) -> [Float] {
        workspaces.with { encoder.encode([tokenizer.encode(text)], workspace: &$0)[0] }
    }

    /// Embeddings of many texts, in order. Texts are batched through the encoder; with
    /// `threads` > 1 (default: the configuration's) the batch is split across threads.
    public func embed(_ texts: [String], threads: Int? = nil) -> [[Float]] {
        let sequences = texts.map(tokenizer.encode)
        let workers = max(1, min(threads ?? configuration.threads, sequences.count))
        if workers == 1 {
            return workspaces.with { encodeInPasses(sequences[...], workspace: &$0) }
        }
        // Contiguous groups of about equal token count, one per worker.
        let total = sequences.reduce(0) { $0 + $1.count }
        var bounds = [0]
        var running = 0
        for (index, sequence) in sequences.enumerated() {
            running += sequence.count
            if bounds.count < workers, running * workers >= total * bounds.count, index + 1 < sequences.count {
                bounds.append(index + 1)
            }
        }
        bounds.append(sequences.count)
        let groups = bounds
        let results = ResultSlots(count: bounds.count - 1)
        DispatchQueue.concurrentPerform(iterations: groups.count - 1) { group in
            results.set(
                group,
                workspaces.with { encodeInPasses(sequences[groups[group]..<groups[group + 1]], workspace: &$0) })
        }
        return results.joined()
    }

    private func encodeInPasses(_ sequences: ArraySlice<[Int32]>, workspace: inout EncoderWorkspace) -> [[Float]] {
        var output: [[Float]] = []
        output.reserveCapacity(sequences.count)
        var start = sequences.startIndex
        while start < sequences.endIndex {
            var end = start, rows = 0
            while end < sequences.endIndex, end == start || rows + sequences[end].count <= Self.maxRowsPerPass {
                rows += sequences[end].count
                end += 1
            }
            output += encoder.encode(Array(sequences[start..<end]), workspace: &workspace)
            start = end
        }
        return output
    }
}

/// Idle encoder workspaces (at most `limit` kept), handed out one per running call.
private final class WorkspacePool: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var idle: [EncoderWorkspace] = []
    private let limit = 4

    func with<R>(_ body: (inout EncoderWorkspace) -> R) -> R {
        var workspace = lock.withLock { idle.popLast() } ?? EncoderWorkspace()
        let result = body(&workspace)
        lock.withLock { if idle.count < limit { idle.append(workspace) } }
        return result
    }
}

/// Per-worker results of a parallel batch, joined in order.
private final class ResultSlots: @unchecked Sendable {  // guarded by lock
    private let lock = NSLock()
    private var slots: [[[Float]]]

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func set(_ index: Int, _ value: [[Float]]) {
        lock.lock()
        slots[index] = value
        lock.unlock()
    }

    func joined() -> [[Float]] {
        lock.lock()
        defer { lock.unlock() }
        return slots.flatMap { $0 }
    }
}

/// The kernels built for AVX2+FMA would die with SIGILL on a CPU without them: refuse
/// with an error instead (this check itself is compiled for the generic target).
func checkCPUSupportsKernels(cpuinfo path: String = "/proc/cpuinfo") throws(EmbeddingError) {
    guard kernelsRequireAVX2FMA,
        let text = try? String(contentsOfFile: path, encoding: .utf8),
        let flags = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return }
    let set = Set(flags.split(separator: " "))
    guard set.contains("avx2"), set.contains("fma") else {
        throw .unsupportedCPU("built for AVX2+FMA, this CPU lacks them")
    }
}
