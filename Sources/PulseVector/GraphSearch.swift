/// Which nodes may appear in a search's results. Nodes that are not admitted are still walked
/// through, so filtered and deleted nodes keep the graph connected and recall stays high.
protocol Admission {
    func admits(_ slot: UInt32) -> Bool
    /// True when every node is admitted, which allows hnswlib's early stop.
    var admitsEverything: Bool { get }
}

/// Queries: live nodes only.
struct LiveNodes: Admission {
    let view: GraphView
    let hasDeletions: Bool
    @inline(__always) func admits(_ slot: UInt32) -> Bool { !hasDeletions || view.deleted[Int(slot)] == 0 }
    @inline(__always) var admitsEverything: Bool { !hasDeletions }
}

/// Queries with a caller predicate over ids.
struct FilteredLiveNodes: Admission {
    let view: GraphView
    let predicate: (UInt64) -> Bool
    @inline(__always) func admits(_ slot: UInt32) -> Bool {
        view.deleted[Int(slot)] == 0 && predicate(view.labels[Int(slot)])
    }
    @inline(__always) var admitsEverything: Bool { false }
}

/// Construction: every node but the one being (re)linked, deleted ones included, as in hnswlib.
struct AllNodesExcept: Admission {
    let excluded: UInt32
    @inline(__always) func admits(_ slot: UInt32) -> Bool { slot != excluded }
    @inline(__always) var admitsEverything: Bool { excluded == noNode }
}

/// The search routines of the graph over one storage view.
struct GraphSearch<Guard: LinkGuard> {
    let view: GraphView
    let linkGuard: Guard

    /// Greedy descent (ef = 1) from `entry` on `fromLevel` down to `toLevel + 1`.
    @inline(__always)
    func descend(_ query: UnsafePointer<Float>, entry: UInt32, fromLevel: Int, toLevel: Int) -> UInt32 {
        var current = entry
        var best = view.distance(query, entry)
        var level = fromLevel
        while level > toLevel {
            var changed = true
            while changed {
                changed = false
                let locked = current
                linkGuard.lockNode(locked)
                let list = view.links(locked, level: level)
                let n = Int(list[0])
                var i = 1
                while i <= n {
                    let candidate = list[i]
                    let d = view.distance(query, candidate)
                    if d < best {
                        best = d
                        current = candidate
                        changed = true
                    }
                    i &+= 1
                }
                linkGuard.unlockNode(locked)
            }
            level &-= 1
        }
        return current
    }

    /// Best-first search on one layer with a candidate list of `ef`; leaves the best `ef`
    /// admitted nodes in `scratch.results` (a max-heap on distance).
    ///
    /// Per expanded node, the unvisited neighbours are first gathered (and their vectors
    /// prefetched), then their distances are computed four at a time so the memory loads of
    /// four vectors overlap. The heap updates then run in neighbour order, so the result and
    /// the early stop are exactly hnswlib's.
    @inline(__always)
    func searchLayer<A: Admission>(
        _ query: UnsafePointer<Float>, entry: UInt32, level: Int, ef: Int, capacity: Int,
        scratch: SearchScratch, admission: A
    ) {
        let epoch = scratch.nextEpoch(capacity: capacity)
        let visited = scratch.visited
        let pending = scratch.pending
        var results = scratch.results
        var candidates = scratch.candidates
        results.removeAll()
        candidates.removeAll()
        let stopEarly = admission.admitsEverything
        let stride = view.stride

        let entryDistance = view.distance(query, entry)
        var bound = Float.infinity
        if admission.admits(entry) {
            results.push(entryDistance, entry)
            bound = entryDistance
        }
        candidates.push(-entryDistance, entry)
        visited[Int(entry)] = epoch

        @inline(__always) func consider(_ d: Float, _ neighbour: UInt32) {
            if results.count < ef || d < bound {
                candidates.push(-d, neighbour)
                if admission.admits(neighbour) {
                    results.push(d, neighbour)
                    if results.count > ef { results.pop() }
                    bound = results.top.distance
                }
            }
        }

        while candidates.count > 0 {
            let current = candidates.top
            if -current.distance > bound && (results.count >= ef || stopEarly) { break }
            candidates.pop()
            // The next node to expand is probably the new top: start loading its links.
            if candidates.count > 0 { prefetch(view.links(candidates.top.id, level: level)) }
            linkGuard.lockNode(current.id)
            let list = view.links(current.id, level: level)
            let n = Int(list[0])
            var found = 0
            var i = 1
            while i <= n {
                let neighbour = list[i]
                i &+= 1
                if visited[Int(neighbour)] == epoch { continue }
                visited[Int(neighbour)] = epoch
                prefetch(view.vector(neighbour))
                pending[found] = neighbour
                found &+= 1
            }
            linkGuard.unlockNode(current.id)

            var j = 0
            while j &+ 4 <= found {
                let a = pending[j], b = pending[j &+ 1], c = pending[j &+ 2], d = pending[j &+ 3]
                let dots = dotProducts4(query, view.vector(a), view.vector(b), view.vector(c), view.vector(d), stride)
                consider(1 - dots[0], a)
                consider(1 - dots[1], b)
                consider(1 - dots[2], c)
                consider(1 - dots[3], d)
                j &+= 4
            }
            while j < found {
                consider(view.distance(query, pending[j]), pending[j])
                j &+= 1
            }
        }
        scratch.results = results
        scratch.candidates = candidates
    }
}

// Shared across build threads only with a locking guard; the view's buffers are guarded by it.
extension GraphSearch: @unchecked Sendable where Guard: Sendable {}
