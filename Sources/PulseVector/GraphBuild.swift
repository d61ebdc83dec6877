/// Graph construction: neighbour search for a new node, the HNSW heuristic, and linking.
extension GraphSearch {
    /// hnswlib's `getNeighborsByHeuristic2`: walk candidates nearest first and keep one only if
    /// it is closer to the base than to every candidate already kept. This spreads links over
    /// directions instead of clustering them, which keeps the graph navigable.
    func selectByHeuristic(_ sorted: [Candidate], keep: Int, into kept: inout [Candidate]) {
        kept.removeAll(keepingCapacity: true)
        if sorted.count <= keep {
            kept.append(contentsOf: sorted)
            return
        }
        for candidate in sorted {
            if kept.count >= keep { break }
            let v = view.vector(candidate.id)
            var good = true
            for other in kept where cosineDistance(v, view.vector(other.id), view.stride) < candidate.distance {
                good = false
                break
            }
            if good { kept.append(candidate) }
        }
    }

    /// Chooses the neighbours of a node at `query` on every layer from min(nodeLevel, topLevel)
    /// down to 0. `excluded` (the node itself when re-linking) is walked through but never chosen.
    /// Returns the selections indexed by layer, each nearest first.
    func findNeighbours(
        _ query: UnsafePointer<Float>, entry: UInt32, topLevel: Int, nodeLevel: Int, m: Int, efConstruction: Int,
        capacity: Int, excluded: UInt32, scratch: SearchScratch
    ) -> [[Candidate]] {
        var current = entry
        if nodeLevel < topLevel {
            current = descend(query, entry: entry, fromLevel: topLevel, toLevel: nodeLevel)
        }
        let startLevel = min(nodeLevel, topLevel)
        var selections = [[Candidate]](repeating: [], count: startLevel + 1)
        for level in stride(from: startLevel, through: 0, by: -1) {
            searchLayer(
                query, entry: current, level: level, ef: efConstruction, capacity: capacity, scratch: scratch,
                admission: AllNodesExcept(excluded: excluded))
            scratch.drainResultsAscending(into: &scratch.sorted)
            guard let nearest = scratch.sorted.first else { continue }
            current = nearest.id
            selectByHeuristic(scratch.sorted, keep: m, into: &scratch.selected)
            selections[level] = scratch.selected
        }
        return selections
    }

    /// Sets `node`'s list on `level` to `selected` and adds the reverse links; a full neighbour
    /// list is shrunk back to `maxLinks` with the same heuristic.
    func connect(_ node: UInt32, level: Int, selected: [Candidate], maxLinks: Int, scratch: SearchScratch) {
        linkGuard.lockNode(node)
        let own = view.links(node, level: level)
        own[0] = UInt32(selected.count)
        for (i, c) in selected.enumerated() { own[i + 1] = c.id }
        linkGuard.unlockNode(node)

        for neighbour in selected {
            let other = neighbour.id
            linkGuard.lockNode(other)
            defer { linkGuard.unlockNode(other) }
            let list = view.links(other, level: level)
            let n = Int(list[0])
            var present = false
            var i = 1
            while i <= n {
                if list[i] == node { present = true; break }
                i += 1
            }
            if present { continue }
            if n < maxLinks {
                list[n + 1] = node
                list[0] = UInt32(n + 1)
                continue
            }
            let base = view.vector(other)
            scratch.sorted.removeAll(keepingCapacity: true)
            scratch.sorted.append(Candidate(distance: neighbour.distance, id: node))
            for j in 1...n {
                scratch.sorted.append(Candidate(distance: cosineDistance(base, view.vector(list[j]), view.stride), id: list[j]))
            }
            scratch.sorted.sort { $0.distance < $1.distance }
            selectByHeuristic(scratch.sorted, keep: maxLinks, into: &scratch.selected)
            list[0] = UInt32(scratch.selected.count)
            for (j, c) in scratch.selected.enumerated() { list[j + 1] = c.id }
        }
    }
}
