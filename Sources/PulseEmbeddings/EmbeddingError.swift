// The one error type of the embeddings subsystem. Descriptions name files and folders
// (operators need them to fix an install) but never an API key.

/// Why an embedding could not be produced.
public enum EmbeddingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The model folder does not exist or lacks a file.
    case modelMissing(folder: String, detail: String)
    /// A model file exists but is malformed (bad safetensors header, wrong dtype, shape...).
    case corruptModel(file: String, reason: String)
    /// The remote provider answered with an HTTP error status.
    case httpStatus(code: Int, message: String)
    /// The transport failed (connection refused, timeout...).
    case transport(String)
    /// The provider's answer could not be understood.
    case invalidResponse(String)
    /// A vector's length differs from the dimension the provider is configured for.
    case dimensionMismatch(model: String, expected: Int, received: Int)
    /// Bad arguments from the caller.
    case invalidRequest(String)
    /// The kernels were compiled for instructions this CPU lacks.
    case unsupportedCPU(String)
    /// Two vectors from different models (or dimensions) were compared.
    case incompatibleModels(EmbeddingModelInfo, EmbeddingModelInfo)

    public var description: String {
        switch self {
        case .modelMissing(let folder, let detail):
            return "embedding model not found in \(folder): \(detail). "
                + "Run scripts/install-model.sh (or set PULSE_EMBEDDING_MODEL_DIR)."
        case .corruptModel(let file, let reason):
            return "embedding model file \(file) is corrupt: \(reason). "
                + "Re-run scripts/install-model.sh --force."
        case .httpStatus(let code, let message):
            return "embedding provider answered HTTP \(code): \(message)"
        case .transport(let message):
            return "embedding provider unreachable: \(message)"
        case .invalidResponse(let message):
            return "embedding provider sent an invalid response: \(message)"
        case .dimensionMismatch(let model, let expected, let received):
            return "embedding model \(model) returned \(received) dimensions, expected \(expected)"
        case .invalidRequest(let message):
            return "invalid embedding request: \(message)"
        case .unsupportedCPU(let message):
            return "embedding kernels cannot run here: \(message). Rebuild with PULSE_PORTABLE_KERNELS=1."
        case .incompatibleModels(let first, let second):
            return "cannot compare vectors of \(first) and \(second)"
        }
    }
}
