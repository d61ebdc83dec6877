#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only memory map of a whole file, unmapped on deinit. Pages are loaded lazily,
/// so only the parts actually read (e.g. the word-embedding rows used) become resident.
final class MappedFile: @unchecked Sendable {  // immutable after init
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws(EmbeddingError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .modelMissing(folder: path, detail: "cannot open file (errno \(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .corruptModel(file: path, reason: "cannot stat (errno \(errno))")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw .corruptModel(file: path, reason: "file is empty") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw .corruptModel(file: path, reason: "cannot map file (errno \(errno))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Tells the kernel the given byte range will not be needed soon (drops it from RSS;
    /// it is re-read from the page cache if touched again).
    func dropResidentPages(offset: Int, count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (offset + page - 1) / page * page
        let end = (offset + count) / page * page
        guard end > start, let base = bytes.baseAddress else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
