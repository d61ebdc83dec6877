/// Repair of links that point at a node which is about to move: an updated vector, or a deleted
/// slot reused for a new id. Those in-links were chosen for the old position; left alone they
/// would become random long-range edges (and a search would reach the node from the wrong
/// neighbourhood). hnswlib's `updatePoint` refreshes only the moved node's own neighbours; we
/// find every in-link.
extension HNSWIndex {
    /// Removes every link to one of `moved` from the other nodes' lists, on every layer, and
    /// refills each list so its neighbourhood stays connected. Candidates for the refill are the
    /// list's remaining neighbours plus the moved node's old neighbours on that layer (they were
    /// near the old position, hence near the node that linked to it), chosen by the same
    /// heuristic as construction. Call with the exclusive lock held, after the new vectors are
    /// stored and before the moved nodes are linked again (their own lists still hold the old
    /// neighbours; linking replaces them). Cost: one pass over all link lists, O(slots · M).
    func detachInLinks(of moved: [UInt32], scratch: SearchScratch) {
        guard !moved.isEmpty else { return }
        let view = storage.view
        let total = storage.count
        let marked = UnsafeMutablePointer<Bool>.allocate(capacity: total)
        marked.initialize(repeating: false, count: total)
        defer { marked.deallocate() }
        var topMoved = 0
        for slot in moved {
            marked[Int(slot)] = true
            topMoved = max(topMoved, Int(view.levels[Int(slot)]))
        }
        let graph = GraphSearch(view: view, linkGuard: Unguarded())
        var pool: [UInt32] = []
        for x in 0..<total where !marked[x] {
            let node = UInt32(x)
            for level in 0...min(Int(view.levels[x]), topMoved) {
                let list = view.links(node, level: level)
                let n = Int(list[0])
                guard (0..<n).contains(where: { marked[Int(list[$0 + 1])] }) else { continue }
                pool.removeAll(keepingCapacity: true)
                for i in 1..<(n + 1) {
                    let other = list[i]
                    if !marked[Int(other)] {
                        pool.append(other)
                        continue
                    }
                    guard Int(view.levels[Int(other)]) >= level else { continue }
                    let old = view.links(other, level: level)
                    for j in 1..<(Int(old[0]) + 1) where old[j] != node && !marked[Int(old[j])] { pool.append(old[j]) }
                }
                let base = view.vector(node)
                scratch.sorted.removeAll(keepingCapacity: true)
                for candidate in Set(pool) {
                    scratch.sorted.append(
                        Candidate(distance: cosineDistance(base, view.vector(candidate), view.stride), id: candidate))
                }
                // Ties broken by slot so the result does not depend on Set order.
                scratch.sorted.sort { ($0.distance, $0.id) < ($1.distance, $1.id) }
                graph.selectByHeuristic(
                    scratch.sorted, keep: level == 0 ? storage.m0 : storage.m, into: &scratch.selected)
                list[0] = UInt32(scratch.selected.count)
                for (j, c) in scratch.selected.enumerated() { list[j + 1] = c.id }
            }
        }
    }
}
