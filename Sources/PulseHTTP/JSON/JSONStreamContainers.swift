/// The `Encoder` handed to each value's `encode(to:)`: it owns one slot (the place for that
/// value) in the shared `JSONEncodingState`. Small enough (two words) to sit inline in `any Encoder`.
struct JSONStreamEncoder: Encoder {
    let state: JSONEncodingState
    let slot: UInt32
    let pathCount: Int

    var codingPath: [any CodingKey] { Array(state.path.prefix(pathCount)) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let (id, depth) = openContainer(isObject: true)
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(state: state, id: id, depth: depth, pathCount: pathCount))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let (id, depth) = openContainer(isObject: false)
        return JSONUnkeyedContainer(state: state, id: id, depth: depth, pathCount: pathCount)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(state: state, slot: slot, pathCount: pathCount)
    }

    /// Opens the container for this slot, or finds the one opened by an earlier call.
    private func openContainer(isObject: Bool) -> (UInt32, UInt32) {
        if state.claim(slot) {
            let (id, depth) = state.openFrame(isObject: isObject, slot: slot)
            return (id, UInt32(depth))
        }
        if let open = state.frame(forSlot: slot), open.isObject == isObject { return (open.id, UInt32(open.depth)) }
        state.unsupported = true
        return (0, UInt32.max)  // a dead container: every use throws JSONStreamingUnsupported
    }
}

/// Opens nested containers and super-encoders for the keyed and unkeyed containers, whose
/// member/element separator is already written.
extension JSONEncodingState {
    func nestedFrame(isObject: Bool) -> (UInt32, UInt32) {
        let (id, depth) = openFrame(isObject: isObject, slot: 0)
        return (id, UInt32(depth))
    }

    func superEncoder(key: any CodingKey, pathCount: Int) -> JSONStreamEncoder {
        let slot = nextID()
        pendingSlot = slot
        if path.count > pathCount { path.removeSubrange(pathCount...) }
        path.append(key)
        return JSONStreamEncoder(state: self, slot: slot, pathCount: path.count)
    }

    /// What a non-throwing API returns after an unsupported use: marks the encoding for the fallback.
    func dead() -> (UInt32, UInt32) {
        unsupported = true
        return (0, UInt32.max)
    }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let state: JSONEncodingState
    let id: UInt32
    let depth: UInt32
    let pathCount: Int

    var codingPath: [any CodingKey] { Array(state.path.prefix(pathCount)) }

    @inline(__always)
    private func member(_ key: Key) throws {
        try state.activate(id, depth: Int(depth))
        state.beginMember(key.stringValue, raw: false, depth: Int(depth))
    }

    mutating func encodeNil(forKey key: Key) throws {
        try member(key)
        state.out.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try member(key)
        state.out.append(contentsOf: value ? JSONLiteral.true : JSONLiteral.false)
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        try member(key)
        state.writeString(value)
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        try member(key)
        try state.writeFloat(value, key: key, pathCount: pathCount)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        try member(key)
        try state.writeFloat(value, key: key, pathCount: pathCount)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try integer(value, key) }
    @available(macOS 15.0, *) mutating func encode(_ value: Int128, forKey key: Key) throws { try integer(value, key) }
    @available(macOS 15.0, *) mutating func encode(_ value: UInt128, forKey key: Key) throws { try integer(value, key) }

    private func integer<T: FixedWidthInteger>(_ value: T, _ key: Key) throws {
        try member(key)
        JSONOutput.appendInteger(value, to: &state.out)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try member(key)
        try state.encodeNested(value, key: key, pathCount: pathCount)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let (id, depth) = (try? member(key)) != nil ? state.nestedFrame(isObject: true) : state.dead()
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(state: state, id: id, depth: depth, pathCount: pathCount))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let (id, depth) = (try? member(key)) != nil ? state.nestedFrame(isObject: false) : state.dead()
        return JSONUnkeyedContainer(state: state, id: id, depth: depth, pathCount: pathCount)
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: JSONStringKey("super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key) }

    private func superEncoder(named key: any CodingKey) -> any Encoder {
        do {
            try state.activate(id, depth: Int(depth))
        } catch {
            _ = state.dead()
            return JSONStreamEncoder(state: state, slot: 0, pathCount: pathCount)
        }
        state.beginMember(key.stringValue, raw: false, depth: Int(depth))
        return state.superEncoder(key: key, pathCount: pathCount)
    }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let state: JSONEncodingState
    let id: UInt32
    let depth: UInt32
    let pathCount: Int

    var codingPath: [any CodingKey] { Array(state.path.prefix(pathCount)) }
    var count: Int { state.isOpen(id, depth: Int(depth)) ? state.frames[Int(depth)].count : 0 }

    @inline(__always)
    private func element() throws {
        try state.activate(id, depth: Int(depth))
        state.beginElement(depth: Int(depth))
    }

    mutating func encodeNil() throws {
        try element()
        state.out.append(contentsOf: JSONLiteral.null)
    }
    mutating func encode(_ value: Bool) throws {
        try element()
        state.out.append(contentsOf: value ? JSONLiteral.true : JSONLiteral.false)
    }
    mutating func encode(_ value: String) throws {
        try element()
        state.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        let index = count
        try element()
        try state.writeFloat(value, key: JSONIndexKey(index: index), pathCount: pathCount)
    }
    mutating func encode(_ value: Float) throws {
        let index = count
        try element()
        try state.writeFloat(value, key: JSONIndexKey(index: index), pathCount: pathCount)
    }
    mutating func encode(_ value: Int) throws { try integer(value) }
    mutating func encode(_ value: Int8) throws { try integer(value) }
    mutating func encode(_ value: Int16) throws { try integer(value) }
    mutating func encode(_ value: Int32) throws { try integer(value) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(value) }
    mutating func encode(_ value: UInt8) throws { try integer(value) }
    mutating func encode(_ value: UInt16) throws { try integer(value) }
    mutating func encode(_ value: UInt32) throws { try integer(value) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }
    @available(macOS 15.0, *) mutating func encode(_ value: Int128) throws { try integer(value) }
    @available(macOS 15.0, *) mutating func encode(_ value: UInt128) throws { try integer(value) }

    private func integer<T: FixedWidthInteger>(_ value: T) throws {
        try element()
        JSONOutput.appendInteger(value, to: &state.out)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try element()
        try state.encodeNested(value, key: JSONIndexKey(index: index), pathCount: pathCount)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (id, depth) = (try? element()) != nil ? state.nestedFrame(isObject: true) : state.dead()
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(state: state, id: id, depth: depth, pathCount: pathCount))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (id, depth) = (try? element()) != nil ? state.nestedFrame(isObject: false) : state.dead()
        return JSONUnkeyedContainer(state: state, id: id, depth: depth, pathCount: pathCount)
    }

    mutating func superEncoder() -> any Encoder {
        let index = count
        guard (try? element()) != nil else {
            _ = state.dead()
            return JSONStreamEncoder(state: state, slot: 0, pathCount: pathCount)
        }
        return state.superEncoder(key: JSONIndexKey(index: index), pathCount: pathCount)
    }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let state: JSONEncodingState
    let slot: UInt32
    let pathCount: Int

    var codingPath: [any CodingKey] { Array(state.path.prefix(pathCount)) }

    /// Takes this slot; a second value, or a slot its parent has moved past, is refused.
    @inline(__always)
    private func take() throws {
        guard state.claim(slot) else { throw JSONStreamingUnsupported() }
    }

    mutating func encodeNil() throws {
        try take()
        state.out.append(contentsOf: JSONLiteral.null)
    }
    mutating func encode(_ value: Bool) throws {
        try take()
        state.out.append(contentsOf: value ? JSONLiteral.true : JSONLiteral.false)
    }
    mutating func encode(_ value: String) throws {
        try take()
        state.writeString(value)
    }
    mutating func encode(_ value: Double) throws {
        try take()
        try state.writeFloat(value, key: nil, pathCount: pathCount)
    }
    mutating func encode(_ value: Float) throws {
        try take()
        try state.writeFloat(value, key: nil, pathCount: pathCount)
    }
    mutating func encode(_ value: Int) throws { try integer(value) }
    mutating func encode(_ value: Int8) throws { try integer(value) }
    mutating func encode(_ value: Int16) throws { try integer(value) }
    mutating func encode(_ value: Int32) throws { try integer(value) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(value) }
    mutating func encode(_ value: UInt8) throws { try integer(value) }
    mutating func encode(_ value: UInt16) throws { try integer(value) }
    mutating func encode(_ value: UInt32) throws { try integer(value) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }
    @available(macOS 15.0, *) mutating func encode(_ value: Int128) throws { try integer(value) }
    @available(macOS 15.0, *) mutating func encode(_ value: UInt128) throws { try integer(value) }

    private func integer<T: FixedWidthInteger>(_ value: T) throws {
        try take()
        JSONOutput.appendInteger(value, to: &state.out)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try take()
        if try state.writeSpecial(value, key: nil, pathCount: pathCount) { return }
        // The value fills this same slot through its own encode(to:).
        state.pendingSlot = slot
        try state.encodeThroughEncoder(value, slot: slot, key: nil, pathCount: pathCount)
    }
}

enum JSONLiteral {
    static let null: [UInt8] = Array("null".utf8)
    static let `true`: [UInt8] = Array("true".utf8)
    static let `false`: [UInt8] = Array("false".utf8)
}
