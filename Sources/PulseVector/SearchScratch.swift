/// A node id with its distance to the current query.
struct Candidate {
    var distance: Float
    var id: UInt32
}

/// Binary max-heap of candidates on a raw buffer (no CoW, no bounds checks in the hot loop).
/// Min-heaps are the same heap over negated distances, as in hnswlib.
struct CandidateHeap {
    private(set) var items: UnsafeMutablePointer<Candidate>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        items = .allocate(capacity: self.capacity)
    }

    func deallocate() { items.deallocate() }

    @inline(__always) var top: Candidate { items[0] }
    @inline(__always) mutating func removeAll() { count = 0 }

    @inline(__always) mutating func push(_ distance: Float, _ id: UInt32) {
        if count == capacity { growStorage() }
        var i = count
        count &+= 1
        while i > 0 {
            let parent = (i &- 1) >> 1
            if items[parent].distance >= distance { break }
            items[i] = items[parent]
            i = parent
        }
        items[i] = Candidate(distance: distance, id: id)
    }

    @inline(__always) mutating func pop() {
        count &-= 1
        guard count > 0 else { return }
        let last = items[count]
        var i = 0
        while true {
            var child = 2 &* i &+ 1
            if child >= count { break }
            if child &+ 1 < count && items[child &+ 1].distance > items[child].distance { child &+= 1 }
            if items[child].distance <= last.distance { break }
            items[i] = items[child]
            i = child
        }
        items[i] = last
    }

    private mutating func growStorage() {
        let fresh = UnsafeMutablePointer<Candidate>.allocate(capacity: capacity * 2)
        fresh.moveInitialize(from: items, count: count)
        items.deallocate()
        items = fresh
        capacity *= 2
    }
}

/// Per-search working memory, pooled so a query allocates nothing on the hot path. The visited
/// set is epoch-tagged (hnswlib's visited list): bumping the epoch clears it in O(1).
final class SearchScratch {
    private(set) var visited: UnsafeMutablePointer<UInt16>
    private(set) var visitedCapacity: Int
    private var epoch: UInt16 = 0
    var results = CandidateHeap(capacity: 256)
    var candidates = CandidateHeap(capacity: 256)
    /// The normalised, padded query.
    let query: UnsafeMutablePointer<Float>
    /// Unvisited neighbours of the node being expanded (at most 2·M ≤ 256).
    let pending = UnsafeMutablePointer<UInt32>.allocate(capacity: 256)
    /// Reusable arrays for neighbour selection.
    var sorted: [Candidate] = []
    var selected: [Candidate] = []

    init(stride: Int, capacity: Int) {
        visitedCapacity = max(capacity, 64)
        visited = .allocate(capacity: visitedCapacity)
        visited.initialize(repeating: 0, count: visitedCapacity)
        query = UnsafeMutableRawPointer.allocate(byteCount: stride * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: stride)
    }

    deinit {
        visited.deallocate()
        results.deallocate()
        candidates.deallocate()
        query.deallocate()
        pending.deallocate()
    }

    /// Starts a new visited generation for a graph of `capacity` slots.
    @inline(__always) func nextEpoch(capacity: Int) -> UInt16 {
        if capacity > visitedCapacity {
            visited.deallocate()
            visitedCapacity = max(capacity, visitedCapacity * 2)
            visited = .allocate(capacity: visitedCapacity)
            visited.initialize(repeating: 0, count: visitedCapacity)
            epoch = 0
        }
        epoch &+= 1
        if epoch == 0 {
            visited.update(repeating: 0, count: visitedCapacity)
            epoch = 1
        }
        return epoch
    }

    /// Drains the result heap into ascending order.
    func drainResultsAscending(into out: inout [Candidate]) {
        out.removeAll(keepingCapacity: true)
        while results.count > 0 {
            out.append(results.top)
            results.pop()
        }
        out.reverse()
    }
}

/// A small pool of scratch objects shared by concurrent searches.
final class ScratchPool: @unchecked Sendable {
    private let lock = PosixMutex()
    private var free: [SearchScratch] = []
    private let stride: Int

    init(stride: Int) { self.stride = stride }

    func withScratch<T>(capacity: Int, _ body: (SearchScratch) throws -> T) rethrows -> T {
        let scratch = lock.withLock { free.popLast() } ?? SearchScratch(stride: stride, capacity: capacity)
        defer { lock.withLock { free.append(scratch) } }
        return try body(scratch)
    }

    var bytes: Int { lock.withLock { free.reduce(0) { $0 + $1.visitedCapacity * 2 } } }
}
