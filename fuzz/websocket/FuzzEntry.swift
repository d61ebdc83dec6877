// libFuzzer entry for the WebSocket protocol core (frame decoder, UTF-8 validator,
// state machine with permessage-deflate). Built by run.sh together with the module's
// protocol sources; any crash, sanitizer report or failed consistency check is a bug.

/// Deterministic pseudo-random chunk sizes derived from the input itself.
private func chunks(of bytes: [UInt8], seed: UInt8) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var i = 0
    var s = UInt32(seed) | 1
    while i < bytes.count {
        s = s &* 1_103_515_245 &+ 12_345
        let n = Int(s >> 16) % 17 + 1
        result.append(bytes[i..<min(i + n, bytes.count)])
        i += n
    }
    return result
}

private func decodeAll(_ parts: [ArraySlice<UInt8>], role: WebSocketRole) -> ([WebSocketFrame], WebSocketProtocolError?) {
    var decoder = WebSocketFrameDecoder(role: role, maxFramePayload: 4096)
    var frames: [WebSocketFrame] = []
    do {
        for part in parts {
            decoder.append(part)
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
    } catch {
        return (frames, error)
    }
    return (frames, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let control = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))

    // 1. The UTF-8 validator agrees with the standard library, whole and byte by byte.
    var whole = UTF8Validator()
    let ours = whole.validate(bytes) && whole.isComplete
    precondition(ours == (String(validating: bytes, as: UTF8.self) != nil), "UTF-8 validator disagrees with stdlib")
    var split = UTF8Validator()
    let splitOK = chunks(of: bytes, seed: control).allSatisfy { split.validate($0) } && split.isComplete
    precondition(splitOK == ours, "UTF-8 validator depends on the split")

    // 2. The frame decoder gives the same frames and error however the input is split.
    let role: WebSocketRole = control & 1 == 0 ? .server : .client
    let a = decodeAll([bytes[...]], role: role)
    let b = decodeAll(chunks(of: bytes, seed: control), role: role)
    precondition(a.0 == b.0 && a.1 == b.1, "frame decoder depends on the split")

    // 3. The state machine (with deflate when bit 1 is set) never crashes and stays bounded.
    let deflate: PerMessageDeflateParameters? = control & 2 == 0 ? nil : PerMessageDeflateParameters()
    guard var machine = try? WebSocketStateMachine(role: role, configuration: .init(maxMessageSize: 65_536), deflate: deflate) else { return 0 }
    for part in chunks(of: bytes, seed: control &+ 1) {
        for action in machine.receive(part) {
            if case .deliver(let message) = action, case .binary(let payload) = message {
                precondition(payload.count <= 65_536, "message over the limit delivered")
            }
        }
    }
    _ = machine.send(.text("reply"))
    _ = machine.close(code: .goingAway)
    return 0
}
