import Foundation
import Synchronization

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
///
/// `@unchecked Sendable`: a state belongs to one encoding at a time; between encodings it
/// sits in the pool, handed over under the pool's lock.
final class JSONEncodingState: @unchecked Sendable {
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
    @exclusivity(unchecked) var options: JSONBodyEncoder
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
    /// Types already asked whether they are `[String: _]` dictionaries (a dynamic cast is
    /// costly; a few types recur many times in one document).
    /// The last snake_case conversion at each member position; kept while the state is pooled,
    /// since the same types' keys come back document after document.
    @exclusivity(unchecked) private var snakeCaseKeys: [(key: String, converted: [UInt8])] = []
    @exclusivity(unchecked) private var dictionaryProbes: [(type: ObjectIdentifier, isDictionary: Bool)] = []

    init(options: JSONBodyEncoder, output: consuming [UInt8]) {
        self.options = options
        self.out = output
    }

    /// Whether `T` is a `[String: _]` dictionary, remembered per type for this state.
    func isStringKeyedDictionary<T>(_ type: T.Type) -> Bool {
        let id = ObjectIdentifier(type)
        for probe in dictionaryProbes where probe.type == id { return probe.isDictionary }
        let answer = type is any JSONStringKeyedDictionary.Type
        if dictionaryProbes.count < 32 { dictionaryProbes.append((id, answer)) }
        return answer
    }

    // MARK: Reuse

    /// States kept for reuse: their arrays keep their capacity, so an encoding allocates
    /// little beyond its output.
    private static let pool = Mutex<[JSONEncodingState]>([])

    static func make(options: JSONBodyEncoder) -> JSONEncodingState {
        if let state = pool.withLock({ $0.popLast() }) {
            state.options = options
            return state
        }
        return JSONEncodingState(options: options, output: [])
    }

    /// Returns a state whose encoding is over (its output already taken) to the pool.
    static func recycle(_ state: JSONEncodingState) {
        guard state.out.isEmpty, state.keyBytes.capacity <= 64 * 1024, state.scratch.capacity <= 256 * 1024 else { return }
        state.frames.removeAll(keepingCapacity: true)
        state.entries.removeAll(keepingCapacity: true)
        state.keyBytes.removeAll(keepingCapacity: true)
        state.path.removeAll(keepingCapacity: true)
        state.pendingSlot = 0
        state.unsupported = false
        state.lastID = 0
        state.dictionaryProbes.removeAll(keepingCapacity: true)
        pool.withLock { states in
            if states.count < 16 { states.append(state) }
        }
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
            // Objects of one type repeat their keys in the same order: remember the converted
            // key per member position (a String == of equal small strings is one comparison).
            let position = frames[depth].count - 1
            if position < snakeCaseKeys.count, snakeCaseKeys[position].key == key {
                keyBytes.append(contentsOf: snakeCaseKeys[position].converted)
            } else {
                JSONKeyConversion.appendSnakeCase(key, to: &keyBytes)
                if position < snakeCaseKeys.count {
                    snakeCaseKeys[position] = (key, Array(keyBytes[keyStart...]))
                } else if position == snakeCaseKeys.count && position < 64 {
                    snakeCaseKeys.append((key, Array(keyBytes[keyStart...])))
                }
            }
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
        let count = entries.count - base
        // Insertion sort of member indices: objects are small, and often already in order.
        var order = [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = base + i }
            initialized = count
        }
        var duplicate = false
        var moved = false
        keyBytes.withUnsafeBufferPointer { keys in
            entries.withUnsafeBufferPointer { entries in
                func compare(_ a: Int, _ b: Int) -> Int {
                    let x = entries[a], y = entries[b]
                    let lengthX = x.keyEnd - x.keyStart, lengthY = y.keyEnd - y.keyStart
                    let common = min(lengthX, lengthY)
                    if common > 0 {
                        let result = memcmp(keys.baseAddress! + x.keyStart, keys.baseAddress! + y.keyStart, common)
                        if result != 0 { return Int(result) }
                    }
                    return lengthX - lengthY
                }
                for i in 1..<count {
                    let current = order[i]
                    var j = i - 1
                    while j >= 0 {
                        let c = compare(order[j], current)
                        if c == 0 { duplicate = true }
                        if c <= 0 { break }
                        order[j + 1] = order[j]
                        j -= 1
                        moved = true
                    }
                    order[j + 1] = current
                }
            }
        }
        if duplicate {
            unsupported = true
            return
        }
        guard moved, options.sortedKeys else { return }
        // Each member's text runs from its start to the comma before the next (or to the end).
        let regionStart = entries[base].start
        let regionEnd = out.count
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: out[regionStart..<regionEnd])
        scratch.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                var cursor = regionStart
                for (position, index) in order.enumerated() {
                    if position > 0 {
                        target[cursor] = UInt8(ascii: ",")
                        cursor += 1
                    }
                    let start = entries[index].start - regionStart
                    let end = (index + 1 < entries.count ? entries[index + 1].start - 1 : regionEnd) - regionStart
                    (target.baseAddress! + cursor).update(from: source.baseAddress! + start, count: end - start)
                    cursor += end - start
                }
            }
        }
    }
}
