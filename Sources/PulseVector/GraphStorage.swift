#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sentinel for "no node" (empty index entry point).
let noNode = UInt32.max

/// Flat, hnswlib-style storage of the graph: one contiguous block per field, indexed by slot.
/// Layer 0 links live in one block (`[count, 2·M ids]` per slot); a node on layer L > 0 owns a
/// separate block of L lists `[count, M ids]`. Not thread safe by itself: `HNSWIndex` guards it.
final class GraphStorage {
    let dimension: Int
    /// Floats per stored vector (dimension padded to 16).
    let stride: Int
    let m: Int
    let m0: Int
    /// UInt32 words per layer-0 list and per upper-layer list (count word + ids).
    let linkStride0: Int
    let linkStrideUpper: Int

    private(set) var capacity = 0
    /// Slots handed out so far (live and deleted).
    var count = 0
    private(set) var view: GraphView

    init(dimension: Int, m: Int) {
        self.dimension = dimension
        stride = paddedStride(dimension)
        self.m = m
        m0 = 2 * m
        linkStride0 = 1 + 2 * m
        linkStrideUpper = 1 + m
        view = GraphView(
            vectors: Self.allocate(0), links0: Self.allocate(0), upper: Self.allocate(0), levels: Self.allocate(0),
            deleted: Self.allocate(0), labels: Self.allocate(0), stride: stride, linkStride0: linkStride0,
            linkStrideUpper: linkStrideUpper)
    }

    deinit {
        for slot in 0..<count { view.upper[slot]?.deallocate() }
        view.vectors.deallocate()
        view.links0.deallocate()
        view.upper.deallocate()
        view.levels.deallocate()
        view.deleted.deallocate()
        view.labels.deallocate()
    }

    private static func allocate<T>(_ n: Int) -> UnsafeMutablePointer<T> {
        let bytes = max(n, 1) * MemoryLayout<T>.stride
        // 64-byte alignment keeps each padded vector on whole cache lines. Large blocks go on
        // 2 MB pages where the kernel allows it (transparent huge pages, "madvise" mode): a
        // search touches vectors all over the block, and with 4 KB pages nearly every one of
        // those reads also misses the TLB. It also cuts the page faults of a load 512-fold.
        let huge = 2 << 20
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: bytes >= 2 * huge ? huge : 64)
        #if os(Linux)
        if bytes >= 2 * huge { _ = madvise(raw, bytes & ~(huge - 1), MADV_HUGEPAGE) }
        #endif
        return raw.bindMemory(to: T.self, capacity: max(n, 1))
    }

    private static func grow<T>(_ old: UnsafeMutablePointer<T>, used: Int, to n: Int) -> UnsafeMutablePointer<T> {
        let fresh: UnsafeMutablePointer<T> = allocate(n)
        fresh.moveInitialize(from: old, count: used)
        old.deallocate()
        return fresh
    }

    /// Makes room for at least `needed` slots (amortised doubling unless `exact`).
    func reserve(_ needed: Int, exact: Bool = false) {
        guard needed > capacity else { return }
        let newCapacity = exact ? needed : max(needed, capacity * 2, 64)
        let v = view
        view = GraphView(
            vectors: Self.grow(v.vectors, used: count * stride, to: newCapacity * stride),
            links0: Self.grow(v.links0, used: count * linkStride0, to: newCapacity * linkStride0),
            upper: Self.grow(v.upper, used: count, to: newCapacity),
            levels: Self.grow(v.levels, used: count, to: newCapacity),
            deleted: Self.grow(v.deleted, used: count, to: newCapacity),
            labels: Self.grow(v.labels, used: count, to: newCapacity),
            stride: stride, linkStride0: linkStride0, linkStrideUpper: linkStrideUpper)
        capacity = newCapacity
    }

    /// Hands out a fresh slot on `level` with empty link lists. The vector must be written next.
    func appendSlot(level: Int, label: UInt64) -> UInt32 {
        reserve(count + 1)
        let v = view
        v.links0[count * linkStride0] = 0
        v.levels[count] = UInt8(level)
        v.deleted[count] = 0
        v.labels[count] = label
        return adoptSlot(level: level)
    }

    /// Takes the next slot for a node whose fields are already in place (loading a file):
    /// only allocates its upper-layer block.
    func adoptSlot(level: Int) -> UInt32 {
        let slot = count
        count += 1
        if level > 0 {
            let block = UnsafeMutablePointer<UInt32>.allocate(capacity: level * linkStrideUpper)
            block.initialize(repeating: 0, count: level * linkStrideUpper)
            view.upper[slot] = block
        } else {
            view.upper[slot] = nil
        }
        return UInt32(slot)
    }

    /// Bytes held by the graph and vectors (allocated capacity, not just used slots).
    var allocatedBytes: Int {
        var total = capacity * (stride * 4 + linkStride0 * 4 + MemoryLayout<UInt>.size + 1 + 1 + 8)
        for slot in 0..<count { total += Int(view.levels[slot]) * linkStrideUpper * 4 }
        return total
    }
}

/// A copy of the storage pointers, taken once per operation so hot loops touch only locals.
/// Valid until the storage next grows, which happens only under the index's write lock.
struct GraphView: @unchecked Sendable {
    let vectors: UnsafeMutablePointer<Float>
    let links0: UnsafeMutablePointer<UInt32>
    let upper: UnsafeMutablePointer<UnsafeMutablePointer<UInt32>?>
    let levels: UnsafeMutablePointer<UInt8>
    let deleted: UnsafeMutablePointer<UInt8>
    let labels: UnsafeMutablePointer<UInt64>
    let stride: Int
    let linkStride0: Int
    let linkStrideUpper: Int

    @inline(__always) func vector(_ slot: UInt32) -> UnsafeMutablePointer<Float> {
        vectors + Int(slot) &* stride
    }

    /// The list `[count, ids…]` of `slot` on `level` (the node must reach that level).
    @inline(__always) func links(_ slot: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        if level == 0 { return links0 + Int(slot) &* linkStride0 }
        return upper[Int(slot)].unsafelyUnwrapped + (level &- 1) &* linkStrideUpper
    }

    @inline(__always) func distance(_ a: UnsafePointer<Float>, _ slot: UInt32) -> Float {
        cosineDistance(a, vector(slot), stride)
    }
}
