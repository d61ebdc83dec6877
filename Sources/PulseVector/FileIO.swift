#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

private func errnoText() -> String { String(cString: strerror(errno)) }

/// Sequential writer of a file that appears atomically: data goes to `path.tmp-<pid>`, is
/// fsync'ed and renamed over `path` by `commit()`. Dropped without commit, the temp file is removed.
final class AtomicFileWriter {
    let path: String
    private let tempPath: String
    private var fd: Int32
    private var committed = false
    private(set) var checksum = Checksum()

    init(path: String) throws {
        self.path = path
        tempPath = "\(path).tmp-\(getpid())"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw VectorError.io(path: tempPath, reason: errnoText()) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(tempPath) }
    }

    /// Writes raw bytes, folding them into the running checksum when `checksummed`.
    func append(_ bytes: UnsafeRawPointer, count: Int, checksummed: Bool = true) throws {
        if checksummed { checksum.update(bytes, count: count) }
        var done = 0
        while done < count {
            let n = write(fd, bytes + done, min(count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw VectorError.io(path: tempPath, reason: errnoText())
            }
            done += n
        }
    }

    func append<T>(_ value: T, checksummedValue: Bool = true) throws {
        var v = value
        try withUnsafeBytes(of: &v) { try append($0.baseAddress!, count: $0.count, checksummed: checksummedValue) }
    }

    func commit() throws {
        guard fsync(fd) == 0 else { throw VectorError.io(path: tempPath, reason: errnoText()) }
        close(fd)
        fd = -1
        guard rename(tempPath, path) == 0 else { throw VectorError.io(path: path, reason: errnoText()) }
        committed = true
    }
}

/// Sequential reader that knows the file size up front (to refuse truncated files early).
final class FileReader {
    let path: String
    private let fd: Int32
    let size: Int
    private(set) var offset = 0
    private(set) var checksum = Checksum()

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VectorError.io(path: path, reason: errnoText()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw VectorError.io(path: path, reason: errnoText())
        }
        size = Int(info.st_size)
    }

    deinit { close(fd) }

    func fill(_ bytes: UnsafeMutableRawPointer, count: Int, checksummed: Bool = true) throws {
        guard count <= size - offset else {
            throw VectorError.corruptFile(path: path, reason: "truncated: needs \(offset + count) bytes, file has \(size)")
        }
        var done = 0
        while done < count {
            let n = read(fd, bytes + done, min(count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw VectorError.io(path: path, reason: errnoText())
            }
            if n == 0 { throw VectorError.corruptFile(path: path, reason: "unexpected end of file") }
            done += n
        }
        offset += count
        if checksummed { checksum.update(bytes, count: count) }
    }

    /// Reads consecutive sections starting at the current offset straight into their buffers,
    /// in 8 MB pieces on several threads (page faults and copies of a large index then overlap;
    /// on a busy machine several threads also get more CPU share). Not checksummed: the caller
    /// folds the sections in with ``absorb(_:count:)`` in file order.
    func fillInParallel(_ sections: [(bytes: UnsafeMutableRawPointer, count: Int)]) throws {
        let total = sections.reduce(0) { $0 + $1.count }
        guard total <= size - offset else {
            throw VectorError.corruptFile(path: path, reason: "truncated: needs \(offset + total) bytes, file has \(size)")
        }
        let piece = 8 << 20
        var pieces: [ReadPiece] = []
        var fileOffset = offset
        for section in sections {
            var done = 0
            while done < section.count {
                let n = min(piece, section.count - done)
                pieces.append(ReadPiece(bytes: section.bytes + done, count: n, fileOffset: fileOffset))
                done += n
                fileOffset += n
            }
        }
        let work = pieces
        let failures = FailureBox()
        let fd = self.fd
        let path = self.path
        DispatchQueue.concurrentPerform(iterations: pieces.count) { i in
            let p = work[i]
            var done = 0
            while done < p.count {
                let n = pread(fd, p.bytes + done, p.count - done, off_t(p.fileOffset + done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failures.record(n < 0 ? VectorError.io(path: path, reason: errnoText())
                        : VectorError.corruptFile(path: path, reason: "unexpected end of file"))
                    return
                }
                done += n
            }
        }
        if let error = failures.first { throw error }
        offset += total
        // The sequential reads that follow continue after the sections.
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw VectorError.io(path: path, reason: errnoText()) }
    }

    /// Folds bytes read without checksum into the running checksum, exactly as `fill` would have.
    func absorb(_ bytes: UnsafeRawPointer, count: Int) { checksum.update(bytes, count: count) }

    func value<T: BitwiseCopyable>(_: T.Type, checksummed: Bool = true) throws -> T {
        let p = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.size, alignment: 16)
        defer { p.deallocate() }
        try fill(p, count: MemoryLayout<T>.size, checksummed: checksummed)
        return p.loadUnaligned(as: T.self)
    }
}

/// One 8 MB piece of a parallel read.
private struct ReadPiece: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    let count: Int
    let fileOffset: Int
}

/// The first error of several threads.
final class FailureBox: @unchecked Sendable {
    private let lock = PosixMutex()
    private var error: VectorError?

    func record(_ e: VectorError) { lock.withLock { if error == nil { error = e } } }
    var first: VectorError? { lock.withLock { error } }
}
