extension HNSWIndex {
    /// Structural problems in the graph, empty when healthy: degrees within bounds, no self or
    /// duplicate links, links only to nodes that reach the layer, the entry point on the top
    /// layer, and the id map consistent with the deleted flags. Used by tests after random
    /// operation sequences; O(total links).
    func invariantViolations() -> [String] {
        lock.withReadLock {
            var problems: [String] = []
            let view = storage.view
            let slots = storage.count
            var top = -1
            for slot in 0..<slots {
                let level = Int(view.levels[slot])
                top = max(top, level)
                for layer in 0...level {
                    let list = view.links(UInt32(slot), level: layer)
                    let n = Int(list[0])
                    if n > (layer == 0 ? storage.m0 : storage.m) { problems.append("slot \(slot) layer \(layer): degree \(n)") }
                    var seen = Set<UInt32>()
                    for i in 1..<(n + 1) {
                        let other = list[i]
                        if other == UInt32(slot) { problems.append("slot \(slot) layer \(layer): self link") }
                        if !seen.insert(other).inserted { problems.append("slot \(slot) layer \(layer): duplicate link \(other)") }
                        if Int(other) >= slots || Int(view.levels[Int(other)]) < layer {
                            problems.append("slot \(slot) layer \(layer): link to \(other) which is not on the layer")
                        }
                    }
                }
            }
            if slots == 0 {
                if entryPoint != noNode { problems.append("entry point set in empty index") }
            } else if entryPoint == noNode || Int(view.levels[Int(entryPoint)]) != top || maxLevel != top {
                problems.append("entry point \(entryPoint) (max level \(maxLevel)) is not on the top layer \(top)")
            }
            for (id, slot) in slotsByID where view.labels[Int(slot)] != id || view.deleted[Int(slot)] != 0 {
                problems.append("id \(id) maps to slot \(slot) holding \(view.labels[Int(slot)])")
            }
            if slotsByID.count + freeSlots.count != slots {
                problems.append("\(slotsByID.count) live + \(freeSlots.count) free != \(slots) slots")
            }
            return problems
        }
    }

    /// Slots handed out so far (live and deleted); tests use it to check slot reuse.
    var slotCount: Int { lock.withReadLock { storage.count } }

    /// Links that point at `id` but are not matched by a link back from `id` on the same layer,
    /// as (layer, id of the linking node). Right after `id` is updated or takes a reused slot,
    /// the only links to it are the reverse links of its new neighbours, so this is empty
    /// unless a link chosen for its old position survived.
    func unreciprocatedInLinks(of id: UInt64) -> [(layer: Int, from: UInt64)] {
        lock.withReadLock {
            guard let target = slotsByID[id] else { return [] }
            let view = storage.view
            var found: [(layer: Int, from: UInt64)] = []
            for slot in 0..<storage.count where UInt32(slot) != target {
                for layer in 0...min(Int(view.levels[slot]), Int(view.levels[Int(target)])) {
                    let list = view.links(UInt32(slot), level: layer)
                    guard (1..<(Int(list[0]) + 1)).contains(where: { list[$0] == target }) else { continue }
                    let back = view.links(target, level: layer)
                    if !(1..<(Int(back[0]) + 1)).contains(where: { back[$0] == UInt32(slot) }) {
                        found.append((layer, view.labels[slot]))
                    }
                }
            }
            return found
        }
    }
}
