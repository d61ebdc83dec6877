import Dispatch

extension HNSWIndex {
    /// Inserts `vector` under `id`, or replaces the vector if `id` is present. A new id reuses the
    /// slot of a deleted vector when there is one. Invalid vectors are refused and change nothing.
    public func add(id: UInt64, vector: [Float]) throws {
        let stride = storage.stride
        let dim = parameters.dimension
        try writerLock.withLock {
            try scratchPool.withScratch(capacity: 0) { scratch in
                try vector.withUnsafeBufferPointer {
                    try normalise($0, dimension: dim, into: scratch.query, stride: stride)
                }
                // Only writers change these, and we are the writer: no lock needed to read them.
                let reused = slotsByID[id] ?? freeSlots.last
                let level = reused.map { Int(storage.view.levels[Int($0)]) } ?? generator.nextLevel()
                var selections: [[Candidate]] = []
                if entryPoint != noNode {
                    // Phase 1, shared lock: searches continue while we look for neighbours.
                    selections = lock.withReadLock {
                        GraphSearch(view: storage.view, linkGuard: Unguarded()).findNeighbours(
                            scratch.query, entry: entryPoint, topLevel: maxLevel, nodeLevel: level, m: parameters.m,
                            efConstruction: parameters.efConstruction, capacity: storage.capacity,
                            excluded: reused ?? noNode, scratch: scratch)
                    }
                }
                // Phase 2, exclusive lock: store the vector and link it.
                lock.withWriteLock {
                    let slot = store(id: id, vector: scratch.query, newLevel: level)
                    // A moved node (update or reused slot) first loses the in-links chosen for
                    // its old position.
                    if reused != nil { detachInLinks(of: [slot], scratch: scratch) }
                    let graph = GraphSearch(view: storage.view, linkGuard: Unguarded())
                    for level in selections.indices.reversed() {
                        graph.connect(
                            slot, level: level, selected: selections[level],
                            maxLinks: level == 0 ? storage.m0 : storage.m, scratch: scratch)
                    }
                    if entryPoint == noNode || level > maxLevel {
                        entryPoint = slot
                        maxLevel = level
                    }
                }
            }
        }
    }

    /// Inserts or replaces a batch. `vectors` holds `ids.count` vectors back to back. All vectors
    /// are checked before anything changes. With `threads > 1` the graph is linked in parallel
    /// (the result then depends on scheduling); with one thread it is reproducible from the seed.
    /// Searches wait while the batch runs.
    public func add(ids: [UInt64], vectors: [Float], threads: Int = 1) throws {
        let dim = parameters.dimension
        let stride = storage.stride
        guard vectors.count == ids.count * dim else {
            throw VectorError.dimensionMismatch(expected: dim, got: ids.isEmpty ? vectors.count : vectors.count / ids.count)
        }
        guard threads >= 1 else { throw VectorError.invalidParameter("threads must be at least 1, got \(threads)") }
        var seen = Set<UInt64>(minimumCapacity: ids.count)
        for id in ids where !seen.insert(id).inserted { throw VectorError.duplicateID(id) }
        // Check every vector before touching the index (one row of scratch, no staging copy of
        // the batch: a 200k x 384 batch would otherwise need another 300 MB).
        let row = UnsafeMutableRawPointer.allocate(byteCount: stride * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: stride)
        defer { row.deallocate() }
        func normaliseRow(_ i: Int) throws {
            try vectors.withUnsafeBufferPointer { all in
                try normalise(UnsafeBufferPointer(rebasing: all[i * dim..<(i + 1) * dim]), dimension: dim, into: row, stride: stride)
            }
        }
        for i in 0..<ids.count { try normaliseRow(i) }
        writerLock.withLock {
            lock.withWriteLock {
                let fresh = ids.count - ids.filter { slotsByID[$0] != nil }.count
                storage.reserve(storage.count + max(0, fresh - freeSlots.count))
                var slots = [UInt32]()
                slots.reserveCapacity(ids.count)
                var moved = [UInt32]()
                for (i, id) in ids.enumerated() {
                    try? normaliseRow(i)  // cannot fail: checked above
                    let movesExisting = slotsByID[id] != nil || !freeSlots.isEmpty
                    let slot = store(id: id, vector: row, newLevel: generator.nextLevel())
                    if movesExisting { moved.append(slot) }
                    slots.append(slot)
                }
                scratchPool.withScratch(capacity: 0) { detachInLinks(of: moved, scratch: $0) }
                if threads == 1 || slots.count < 2 * threads {
                    scratchPool.withScratch(capacity: 0) { scratch in
                        for slot in slots { link(slot, graph: GraphSearch(view: storage.view, linkGuard: Unguarded()), scratch: scratch) }
                    }
                } else {
                    let graph = GraphSearch(view: storage.view, linkGuard: StripedGuard())
                    let cursor = WorkCursor(limit: slots.count)
                    let order = slots
                    DispatchQueue.concurrentPerform(iterations: threads) { _ in
                        scratchPool.withScratch(capacity: 0) { scratch in
                            while let i = cursor.next() {
                                link(order[i], graph: graph, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Puts a normalised vector into the slot of `id`: its current slot, else a freed one, else
    /// a new slot on `newLevel` (evaluated only then). Called with the exclusive lock held.
    private func store(id: UInt64, vector: UnsafePointer<Float>, newLevel: @autoclosure () -> Int) -> UInt32 {
        let slot: UInt32
        if let existing = slotsByID[id] {
            slot = existing
        } else if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = storage.appendSlot(level: newLevel(), label: id)
        }
        let view = storage.view
        view.vector(slot).update(from: vector, count: storage.stride)
        view.labels[Int(slot)] = id
        view.deleted[Int(slot)] = 0
        slotsByID[id] = slot
        return slot
    }

    /// Links one stored node into the graph (hnswlib's `addPoint` after the slot is filled).
    /// Called with the exclusive lock held; `graph.linkGuard` orders parallel linkers.
    private func link<G: LinkGuard>(_ slot: UInt32, graph: GraphSearch<G>, scratch: SearchScratch) {
        let level = Int(graph.view.levels[Int(slot)])
        graph.linkGuard.lockGlobal()
        let entry = entryPoint
        let top = maxLevel
        if entry == noNode || entry == slot && top == level && storage.count == 1 {
            entryPoint = slot
            maxLevel = level
            graph.linkGuard.unlockGlobal()
            return
        }
        // A node that raises the top level keeps the global lock, as in hnswlib.
        let raisesTop = level > top
        if !raisesTop { graph.linkGuard.unlockGlobal() }
        let selections = graph.findNeighbours(
            graph.view.vector(slot), entry: entry, topLevel: top, nodeLevel: level, m: parameters.m,
            efConstruction: parameters.efConstruction, capacity: storage.capacity, excluded: slot, scratch: scratch)
        for l in selections.indices.reversed() {
            graph.connect(slot, level: l, selected: selections[l], maxLinks: l == 0 ? storage.m0 : storage.m, scratch: scratch)
        }
        if raisesTop {
            entryPoint = slot
            maxLevel = level
            graph.linkGuard.unlockGlobal()
        }
    }

    /// Deletes `id`. Its node stays in the graph for navigation but is never returned, and its
    /// slot is reused by the next insert. Returns false if `id` was not present.
    @discardableResult
    public func remove(id: UInt64) -> Bool {
        writerLock.withLock {
            lock.withWriteLock {
                guard let slot = slotsByID.removeValue(forKey: id) else { return false }
                storage.view.deleted[Int(slot)] = 1
                freeSlots.append(slot)
                return true
            }
        }
    }
}

/// Hands out work item indices to parallel linkers.
private final class WorkCursor: @unchecked Sendable {
    private let lock = PosixMutex()
    private var position = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func next() -> Int? {
        lock.withLock {
            guard position < limit else { return nil }
            defer { position += 1 }
            return position
        }
    }
}
