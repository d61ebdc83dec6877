/// Every failure the vector engine reports: bad input is refused with one of these, and the
/// index is left exactly as it was.
public enum VectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A vector's length differs from the index dimension.
    case dimensionMismatch(expected: Int, got: Int)
    /// A component is NaN or infinite.
    case nonFiniteComponent(index: Int)
    /// The vector has zero (or denormal) length, so it has no direction for cosine.
    case zeroVector
    /// A parameter is outside its allowed range.
    case invalidParameter(String)
    /// The same id appears twice in one batch.
    case duplicateID(UInt64)
    /// Reading or writing a file failed at the operating-system level.
    case io(path: String, reason: String)
    /// The file is not an index, is truncated, or fails its checksum.
    case corruptFile(path: String, reason: String)
    /// The file was written by a format version this build cannot read.
    case unsupportedVersion(path: String, version: UInt32)

    public var description: String {
        switch self {
        case let .dimensionMismatch(expected, got):
            return "vector has dimension \(got), index expects \(expected)"
        case let .nonFiniteComponent(index):
            return "vector component \(index) is NaN or infinite"
        case .zeroVector:
            return "vector has zero length; cosine similarity is undefined"
        case let .invalidParameter(what):
            return "invalid parameter: \(what)"
        case let .duplicateID(id):
            return "id \(id) appears more than once in the batch"
        case let .io(path, reason):
            return "I/O error on \(path): \(reason)"
        case let .corruptFile(path, reason):
            return "\(path) is not a valid PulseVector index: \(reason)"
        case let .unsupportedVersion(path, version):
            return "\(path) uses index format version \(version), which this build cannot read"
        }
    }
}
