import Foundation

/// Thrown inside the streaming encoder when a type uses the `Encoder` API in an order that
/// cannot be written front to back (a container written to after a later sibling, a key
/// encoded twice). `JSONBodyEncoder` then encodes the value again with Foundation's
/// `JSONEncoder`, configured the same way, so such types still get the same bytes.
struct JSONStreamingUnsupported: Error {}

/// The one mutable state of an encoding: the output bytes and the stack of open containers.
///
/// Containers are written as they are filled. Every container and `Encoder` handed to user code
/// names the frame (open container) or slot (place for one value) it writes to; using it makes
/// that frame current again: deeper frames are closed and an unfilled slot becomes `{}`, as
/// `JSONEncoder` would show them. A frame that was already closed cannot be reopened: that is
/// the `JSONStreamingUnsupported` case.
final class JSONEncodingState {
    struct Frame {
        let id: UInt32
        let isObject: Bool
        /// The slot whose value this container is (for a second `container(keyedBy:)` call).
        let slot: UInt32
        var count = 0
        /// First of this object's entries in `entries`; first of its key bytes in `keyBytes`.
        let entryBase: Int
        let keyBase: Int
    }

    /// One member of an open object: its raw (unescaped) key in `keyBytes` and where its
    /// `"key":value` text starts in `out` (after the separating comma).
    struct Entry {
        let keyStart: Int
        let keyEnd: Int
        let start: Int
    }

    // Only one encoding touches a state, strictly nested, on one thread: the runtime's
    // exclusivity checks on these hot properties cost a tenth of the encoding time, for nothing.
    let options: JSONBodyEncoder
    @exclusivity(unchecked) var out: [UInt8]
    @exclusivity(unchecked) var frames: [Frame] = []
    @exclusivity(unchecked) var entries: [Entry] = []
    @exclusivity(unchecked) var keyBytes: [UInt8] = []
    /// Coding path keys of the values being encoded (containers remember their prefix length).
    @exclusivity(unchecked) var path: [any CodingKey] = []
    /// The slot waiting for a value (0: none); it always belongs to the innermost frame.
    @exclusivity(unchecked) var pendingSlot: UInt32 = 0
    /// Set when a non-throwing API (`nestedContainer`, `superEncoder`) hit an unsupported order.
    @exclusivity(unchecked) var unsupported = false
    @exclusivity(unchecked) private var lastID: UInt32 = 0
    @exclusivity(unchecked) private var scratch: [UInt8] = []

    init(options: JSONBodyEncoder, output: consuming [UInt8]) {
        self.options = options
        self.out = output
    }

    func nextID() -> UInt32 {
        lastID &+= 1
        return lastID
    }

    /// Whether the frame `id` at `depth` is still open.
    @inline(__always)
    func isOpen(_ id: UInt32, depth: Int) -> Bool { depth < frames.count && frames[depth].id == id }

    /// Makes the frame at `depth` the innermost again, or throws if it has been closed.
    func activate(_ id: UInt32, depth: Int) throws {
        guard isOpen(id, depth: depth) else { throw JSONStreamingUnsupported() }
        if pendingSlot != 0 || frames.count > depth + 1 { closeFrames(above: depth) }
    }

    /// Closes every frame deeper than `depth` (innermost first), filling a pending slot with `{}`.
    func closeFrames(above depth: Int) {
        if pendingSlot != 0 {
            out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
            pendingSlot = 0
        }
        while frames.count > depth + 1 { closeInnermost() }
    }

    /// Writes the separator before the next member/element of the frame at `depth` and counts it.
    @inline(__always)
    func beginElement(depth: Int) {
        if frames[depth].count > 0 { out.append(UInt8(ascii: ",")) }
        frames[depth].count += 1
    }

    /// Starts a member of the object at `depth`: separator, key (converted unless `raw`), colon.
    func beginMember(_ key: String, raw: Bool, depth: Int) {
        beginElement(depth: depth)
        let keyStart = keyBytes.count
        if raw || options.keyEncodingStrategy == .useDefaultKeys {
            keyBytes.append(contentsOf: key.utf8)
        } else {
            JSONKeyConversion.appendSnakeCase(key, to: &keyBytes)
        }
        entries.append(Entry(keyStart: keyStart, keyEnd: keyBytes.count, start: out.count))
        out.append(UInt8(ascii: "\""))
        keyBytes.withUnsafeBufferPointer { all in
            JSONOutput.appendEscaped(UnsafeBufferPointer(rebasing: all[keyStart...]), escapingSlashes: options.escapesSlashes, to: &out)
        }
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    /// Takes the pending slot `slot` for a value; false if it was filled or abandoned already.
    @inline(__always)
    func claim(_ slot: UInt32) -> Bool {
        guard pendingSlot == slot, slot != 0 else { return false }
        pendingSlot = 0
        return true
    }

    /// Opens an object or array as the value of the pending slot (already claimed).
    func openFrame(isObject: Bool, slot: UInt32) -> (id: UInt32, depth: Int) {
        out.append(isObject ? UInt8(ascii: "{") : UInt8(ascii: "["))
        let id = nextID()
        frames.append(Frame(id: id, isObject: isObject, slot: slot, entryBase: entries.count, keyBase: keyBytes.count))
        return (id, frames.count - 1)
    }

    /// The open frame that holds `slot`'s value, if it is still open.
    func frame(forSlot slot: UInt32) -> (id: UInt32, depth: Int, isObject: Bool)? {
        for depth in frames.indices.reversed() where frames[depth].slot == slot {
            return (frames[depth].id, depth, frames[depth].isObject)
        }
        return nil
    }

    private func closeInnermost() {
        let frame = frames.removeLast()
        guard frame.isObject else {
            out.append(UInt8(ascii: "]"))
            return
        }
        if entries.count - frame.entryBase > 1 { orderMembers(from: frame.entryBase) }
        entries.removeSubrange(frame.entryBase...)
        keyBytes.removeSubrange(frame.keyBase...)
        out.append(UInt8(ascii: "}"))
    }

    /// Puts the members of the innermost object in `JSONEncoder`'s `.sortedKeys` order (UTF-8
    /// byte order of the keys) when asked for, and refuses duplicate keys (Foundation keeps the
    /// last value of a repeated key; streaming cannot take back the first).
    private func orderMembers(from base: Int) {
        let members = entries[base...]
        var order = Array(members.indices)
        let precedes: (Int, Int) -> Bool = { [keyBytes, entries] a, b in
            keyBytes[entries[a].keyStart..<entries[a].keyEnd].lexicographicallyPrecedes(keyBytes[entries[b].keyStart..<entries[b].keyEnd])
        }
        var alreadySorted = true
        for index in order.dropFirst() where !precedes(index - 1, index) {
            alreadySorted = false
            break
        }
        if alreadySorted { return }
        order.sort(by: precedes)
        for (a, b) in zip(order, order.dropFirst()) where !precedes(a, b) {
            unsupported = true  // equal keys
            return
        }
        guard options.sortedKeys else { return }
        // Each member's text runs from its start to the comma before the next (or to the end).
        let regionStart = members.first!.start
        let regionEnd = out.count
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: out[regionStart..<regionEnd])
        var cursor = regionStart
        for (position, index) in order.enumerated() {
            if position > 0 {
                out[cursor] = UInt8(ascii: ",")
                cursor += 1
            }
            let start = entries[index].start - regionStart
            let end = (index + 1 < entries.count ? entries[index + 1].start - 1 : regionEnd) - regionStart
            out.replaceSubrange(cursor..<(cursor + end - start), with: scratch[start..<end])
            cursor += end - start
        }
    }
}
