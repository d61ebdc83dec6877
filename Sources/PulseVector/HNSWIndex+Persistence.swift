import Dispatch

// File format, version 1 (all integers little-endian, see docs/vector.md):
//   header  "PULSEHNS", version u32, dimension u32, m u32, efConstruction u32, efSearch u32,
//           seed u64, generator state u64, slots u64, entry point u32, max level i32, upper words u64
//   body    vectors (slots × stride f32), layer-0 links (slots × (1+2M) u32), levels (slots u8),
//           deleted flags (slots u8), ids (slots u64), upper-layer lists (upper words u32)
//   trailer checksum u64 of header and body, "PULSEEND"
// Sections are written straight from and read straight into the flat storage: loading is a few
// large reads plus one checksum pass.

private let headMagic: UInt64 = 0x534E_4848_4553_4C55  // "PULSEHNS" little-endian
private let tailMagic: UInt64 = 0x444E_4545_534C_5550  // "PULSEEND" little-endian
private let formatVersion: UInt32 = 1
private let headerBytes = 8 + 4 * 5 + 8 * 3 + 4 + 4 + 8

extension HNSWIndex {
    /// Writes the index to `path` atomically (temp file, fsync, rename). Searches may run meanwhile.
    public func save(to path: String) throws {
        try writerLock.withLock {
            try lock.withReadLock {
                let file = try AtomicFileWriter(path: path)
                let view = storage.view
                let slots = storage.count
                var upperWords = 0
                for slot in 0..<slots { upperWords += Int(view.levels[slot]) * storage.linkStrideUpper }
                try file.append(headMagic)
                try file.append(formatVersion)
                for v in [parameters.dimension, parameters.m, parameters.efConstruction, parameters.efSearch] {
                    try file.append(UInt32(v))
                }
                try file.append(parameters.seed)
                try file.append(generator.state)
                try file.append(UInt64(slots))
                try file.append(entryPoint)
                try file.append(Int32(maxLevel))
                try file.append(UInt64(upperWords))
                try file.append(view.vectors, count: slots * storage.stride * 4)
                try file.append(view.links0, count: slots * storage.linkStride0 * 4)
                try file.append(view.levels, count: slots)
                try file.append(view.deleted, count: slots)
                try file.append(view.labels, count: slots * 8)
                for slot in 0..<slots where view.levels[slot] > 0 {
                    try file.append(view.upper[slot]!, count: Int(view.levels[slot]) * storage.linkStrideUpper * 4)
                }
                let sum = file.checksum.value
                try file.append(sum, checksummedValue: false)
                try file.append(tailMagic, checksummedValue: false)
                try file.commit()
            }
        }
    }

    /// Loads an index written by ``save(to:)``. A file that is not an index, is truncated, fails
    /// its checksum or holds an inconsistent graph is refused with ``VectorError/corruptFile(path:reason:)``.
    public static func load(from path: String) throws -> HNSWIndex {
        let file = try FileReader(path: path)
        func corrupt(_ reason: String) -> VectorError { .corruptFile(path: path, reason: reason) }
        guard file.size >= headerBytes + 16 else { throw corrupt("file too short (\(file.size) bytes)") }
        guard try file.value(UInt64.self) == headMagic else { throw corrupt("bad magic") }
        let version = try file.value(UInt32.self)
        guard version == formatVersion else { throw VectorError.unsupportedVersion(path: path, version: version) }
        let dimension = Int(try file.value(UInt32.self))
        let m = Int(try file.value(UInt32.self))
        let efConstruction = Int(try file.value(UInt32.self))
        let efSearch = Int(try file.value(UInt32.self))
        let seed = try file.value(UInt64.self)
        let generatorState = try file.value(UInt64.self)
        let slots64 = try file.value(UInt64.self)
        let entry = try file.value(UInt32.self)
        let maxLevel = Int(try file.value(Int32.self))
        let upperWords64 = try file.value(UInt64.self)

        let parameters = HNSWParameters(dimension: dimension, m: m, efConstruction: efConstruction, efSearch: efSearch, seed: seed)
        let index: HNSWIndex
        do { index = try HNSWIndex(parameters: parameters) } catch { throw corrupt("bad parameters: \(error)") }
        let storage = index.storage
        // Size check before any large allocation: a flipped count cannot make us allocate terabytes.
        let perSlot = storage.stride * 4 + storage.linkStride0 * 4 + 1 + 1 + 8
        guard slots64 < UInt64(UInt32.max), upperWords64 < UInt64(file.size),
            headerBytes + Int(slots64) * perSlot + Int(upperWords64) * 4 + 16 == file.size
        else { throw corrupt("size \(file.size) does not match header (\(slots64) vectors): truncated or damaged") }
        let slots = Int(slots64)

        storage.reserve(slots, exact: true)
        let view = storage.view
        let sections: [(bytes: UnsafeMutableRawPointer, count: Int)] = [
            (UnsafeMutableRawPointer(view.vectors), slots * storage.stride * 4),
            (UnsafeMutableRawPointer(view.links0), slots * storage.linkStride0 * 4),
            (UnsafeMutableRawPointer(view.levels), slots), (UnsafeMutableRawPointer(view.deleted), slots),
            (UnsafeMutableRawPointer(view.labels), slots * 8),
        ]
        try file.fillInParallel(sections)
        storage.count = 0
        var upperTotal = 0
        for slot in 0..<slots {
            let level = Int(view.levels[slot])
            guard level <= 31, level <= maxLevel else { throw corrupt("slot \(slot) has level \(level)") }
            upperTotal += level * storage.linkStrideUpper
            guard upperTotal <= Int(upperWords64) else { throw corrupt("upper-layer lists exceed their section") }
            _ = storage.adoptSlot(level: level)
            if level > 0 { try file.fill(view.upper[slot]!, count: level * storage.linkStrideUpper * 4, checksummed: false) }
        }
        guard upperTotal == Int(upperWords64) else { throw corrupt("upper-layer section size mismatch") }
        let stored = try file.value(UInt64.self, checksummed: false)
        guard try file.value(UInt64.self, checksummed: false) == tailMagic else { throw corrupt("bad end marker") }

        // The checksum pass (one thread, in file order) runs next to the structural checks and
        // the id map (the other thread); both only read the storage.
        let work = LoadWork(index: index, file: file, sections: sections)
        let failures = FailureBox()
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                work.absorbBody()
            } else {
                do { try work.index.finishLoad(entry: entry, maxLevel: maxLevel, path: path) } catch let e as VectorError {
                    failures.record(e)
                } catch { failures.record(.corruptFile(path: path, reason: "\(error)")) }
            }
        }
        guard stored == file.checksum.value else { throw corrupt("checksum mismatch") }
        if let error = failures.first { throw error }
        index.generator = LevelGenerator(state: generatorState, m: m)
        index.entryPoint = entry
        index.maxLevel = slots == 0 ? -1 : maxLevel
        return index
    }

    /// Structural checks and the id map of a freshly read index. Every link must point inside
    /// the graph, so even a file forged with a valid checksum cannot make a search read out of
    /// bounds.
    fileprivate func finishLoad(entry: UInt32, maxLevel: Int, path: String) throws {
        func corrupt(_ reason: String) -> VectorError { .corruptFile(path: path, reason: reason) }
        let slots = storage.count
        let view = storage.view
        if slots == 0 {
            guard entry == noNode else { throw corrupt("entry point in an empty index") }
            return
        }
        guard Int(entry) < slots, Int(view.levels[Int(entry)]) == maxLevel else { throw corrupt("bad entry point") }
        for slot in 0..<slots {
            for level in 0...Int(view.levels[slot]) {
                let list = view.links(UInt32(slot), level: level)
                let n = Int(list[0])
                guard n <= (level == 0 ? storage.m0 : storage.m) else { throw corrupt("slot \(slot) has \(n) links") }
                for i in 0..<n where Int(list[1 + i]) >= slots || Int(view.levels[Int(list[1 + i])]) < level {
                    throw corrupt("slot \(slot) links to an invalid node")
                }
            }
        }
        var live = 0
        for slot in 0..<slots where view.deleted[slot] == 0 { live += 1 }
        slotsByID.reserveCapacity(live)
        freeSlots.reserveCapacity(slots - live)
        for slot in 0..<slots {
            if view.deleted[slot] == 0 {
                guard slotsByID.updateValue(UInt32(slot), forKey: view.labels[slot]) == nil else {
                    throw corrupt("id \(view.labels[slot]) stored twice")
                }
            } else {
                freeSlots.append(UInt32(slot))
            }
        }
    }
}

/// What the two threads of the last load phase share. The index is not yet published, and the
/// checksum thread only reads the storage, so the split is race free.
private struct LoadWork: @unchecked Sendable {
    let index: HNSWIndex
    let file: FileReader
    let sections: [(bytes: UnsafeMutableRawPointer, count: Int)]

    /// Folds the body into the file's checksum in file order (sections, then upper layers).
    func absorbBody() {
        let storage = index.storage
        let view = storage.view
        for section in sections { file.absorb(section.bytes, count: section.count) }
        for slot in 0..<storage.count where view.levels[slot] > 0 {
            file.absorb(view.upper[slot]!, count: Int(view.levels[slot]) * storage.linkStrideUpper * 4)
        }
    }
}
