import Foundation
import Testing

@testable import PulseHTTP

/// Hand-written `encode(to:)` methods that use containers in unusual orders: the streaming
/// encoder writes what it can front to back and hands the rest to `JSONEncoder`; either way the
/// bytes must be Foundation's.
@Suite struct JSONBodyEncoderOrderTests {
    func expectSameBytes<T: Encodable>(_ value: T, _ encoder: JSONBodyEncoder = .platform, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try encoder.encode(value)
        let foundation = [UInt8](try encoder.makeFoundationEncoder().encode(value))
        #expect(ours == foundation, "\(firstDifference(ours, foundation))", sourceLocation: sourceLocation)
    }

    /// Parent written after a nested container: the nested one is closed, as in a tree.
    struct NestedThenParent: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: TestKey.self)
            var inner = container.nestedContainer(keyedBy: TestKey.self, forKey: TestKey("zInner"))
            try inner.encode(1, forKey: TestKey("b"))
            try inner.encode(2, forKey: TestKey("a"))
            var list = container.nestedUnkeyedContainer(forKey: TestKey("list"))
            try list.encode("x")
            var deeper = list.nestedUnkeyedContainer()
            try deeper.encode(true)
            try container.encode(3, forKey: TestKey("after"))
        }
    }

    /// Goes back to a nested container after writing its parent: needs the fallback.
    struct Interleaved: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: TestKey.self)
            var inner = container.nestedContainer(keyedBy: TestKey.self, forKey: TestKey("inner"))
            try inner.encode(1, forKey: TestKey("a"))
            try container.encode(2, forKey: TestKey("b"))
            try inner.encode(3, forKey: TestKey("c"))
            var list = container.nestedUnkeyedContainer(forKey: TestKey("list"))
            try container.encode(4, forKey: TestKey("d"))
            try list.encode(5)
        }
    }

    /// Two keys that convert to the same snake_case key: Foundation keeps the last value.
    struct CollidingKeys: Encodable {
        var userId = 1
        var user_id = 2
    }

    /// Asks for its keyed container twice.
    struct TwoContainerCalls: Encodable {
        func encode(to encoder: any Encoder) throws {
            var first = encoder.container(keyedBy: TestKey.self)
            try first.encode(1, forKey: TestKey("b"))
            var second = encoder.container(keyedBy: TestKey.self)
            try second.encode(2, forKey: TestKey("a"))
        }
    }

    class Base: Encodable {
        var baseValue = 1
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: TestKey.self)
            try container.encode(baseValue, forKey: TestKey("baseValue"))
        }
    }

    final class Derived: Base {
        var ownValue = "x"
        var unusedSuper = false
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: TestKey.self)
            try container.encode(ownValue, forKey: TestKey("ownValue"))
            if unusedSuper { _ = container.superEncoder(forKey: TestKey("parent")) }
            try super.encode(to: container.superEncoder())
            var list = container.nestedUnkeyedContainer(forKey: TestKey("list"))
            try super.encode(to: list.superEncoder())
            try list.encode(2)
        }
    }

    @Test func nestedContainersClosedByTheirParent() throws {
        try expectSameBytes(NestedThenParent())
        try expectSameBytes([NestedThenParent(), NestedThenParent()], JSONBodyEncoder(sortedKeys: true))
    }

    @Test func streamingHandlesTheFrontToBackCases() throws {
        var bytes: [UInt8] = []
        try JSONBodyEncoder.platform.encodeStreaming([NestedThenParent()], appendingTo: &bytes)
        try JSONBodyEncoder.platform.encodeStreaming(TwoContainerCalls(), appendingTo: &bytes)
        try JSONBodyEncoder.platform.encodeStreaming(Derived(), appendingTo: &bytes)
        #expect(throws: JSONStreamingUnsupported.self) { try JSONBodyEncoder.platform.encodeStreaming(Interleaved(), appendingTo: &bytes) }
        #expect(throws: JSONStreamingUnsupported.self) { try JSONBodyEncoder.platform.encodeStreaming(CollidingKeys(), appendingTo: &bytes) }
    }

    @Test func outOfOrderWritesFallBackToTheSameBytes() throws {
        try expectSameBytes(Interleaved())
        try expectSameBytes(["k": [Interleaved()]])
        try expectSameBytes(CollidingKeys())
        try expectSameBytes([CollidingKeys(), CollidingKeys()])
    }

    @Test func repeatedContainerRequestsShareOneObject() throws {
        try expectSameBytes(TwoContainerCalls())
    }

    @Test func superEncoders() throws {
        try expectSameBytes(Derived())
        let unused = Derived()
        unused.unusedSuper = true
        try expectSameBytes([unused])
    }

    @Test func unsortedKeysKeepEncodingOrder() throws {
        let text = String(decoding: try JSONBodyEncoder().encode(TestValue.object([("b", .int(1)), ("a", .int(2)), ("c", nil)])), as: UTF8.self)
        #expect(text == #"{"b":1,"a":2}"#)
    }
}
