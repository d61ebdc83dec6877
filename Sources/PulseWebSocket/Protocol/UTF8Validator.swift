/// Incremental UTF-8 validator (RFC 3629) for text messages that arrive in fragments.
///
/// Feed bytes in any split; `validate` returns false as soon as a byte makes the sequence
/// invalid (so a bad fragment fails fast, before the message completes), and `isComplete`
/// tells whether the input so far ends on a character boundary.
/// It rejects overlongs, surrogates (U+D800–DFFF) and code points above U+10FFFF.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current character.
    private var pending: UInt8 = 0
    /// Allowed range of the next byte (narrower than 80–BF right after some lead bytes).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True when no character is cut in the middle.
    public var isComplete: Bool { pending == 0 }

    public mutating func reset() { self = UTF8Validator() }

    /// Validates more bytes; false at the first invalid byte (the state is then undefined).
    public mutating func validate<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        // Fast path over contiguous storage when available.
        if let ok = bytes.withContiguousStorageIfAvailable({ validate(buffer: $0) }) { return ok }
        for byte in bytes where !step(byte) { return false }
        return true
    }

    public mutating func validate(buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let count = buffer.count
        while i < count {
            // Skip ASCII eight bytes at a time when between characters.
            if pending == 0 {
                while i + 8 <= count {
                    let word = UnsafeRawPointer(buffer.baseAddress! + i).loadUnaligned(as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i += 8
                }
                if i == count { break }
            }
            if !step(buffer[i]) { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    private mutating func step(_ byte: UInt8) -> Bool {
        if pending == 0 {
            switch byte {
            case 0x00...0x7F: return true
            case 0xC2...0xDF: pending = 1; lower = 0x80; upper = 0xBF
            case 0xE0: pending = 2; lower = 0xA0; upper = 0xBF  // no overlongs
            case 0xE1...0xEC, 0xEE, 0xEF: pending = 2; lower = 0x80; upper = 0xBF
            case 0xED: pending = 2; lower = 0x80; upper = 0x9F  // no surrogates
            case 0xF0: pending = 3; lower = 0x90; upper = 0xBF  // no overlongs
            case 0xF1...0xF3: pending = 3; lower = 0x80; upper = 0xBF
            case 0xF4: pending = 3; lower = 0x80; upper = 0x8F  // ≤ U+10FFFF
            default: return false  // 80–C1 and F5–FF never start a character
            }
            return true
        }
        guard byte >= lower && byte <= upper else { return false }
        pending -= 1
        lower = 0x80
        upper = 0xBF
        return true
    }
}
