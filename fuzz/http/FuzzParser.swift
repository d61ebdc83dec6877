// libFuzzer entry for the HTTP/1.1 request parser. Built by run.sh together with
// Sources/PulseHTTP/Parser/*.swift only (the parser is standard-library-only for this reason).
//
// Each input is parsed twice, once whole and once in pieces whose sizes come from the input
// itself; both runs must agree (same messages, same error), and every event must respect the
// limits. Any disagreement or limit breach traps, which libFuzzer reports as a crash.

struct Outcome: Equatable {
    var heads: [String] = []
    var bodyBytes: [Int] = []
    var ends = 0
    var error: HTTPParserError?
}

let limits = HTTPParserLimits(maxRequestLineLength: 256, maxHeaderBytes: 1024, maxHeaderCount: 16, maxBodyBytes: 4096)

func run(_ input: UnsafeRawBufferPointer, pieceSizes: [Int]) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    var currentBody = 0
    var offset = 0
    var pieceIndex = 0
    while true {
        let size = pieceSizes.isEmpty ? input.count - offset : min(pieceSizes[pieceIndex % pieceSizes.count], input.count - offset)
        pieceIndex += 1
        let piece = UnsafeRawBufferPointer(rebasing: input[offset..<(offset + size)])
        var used = 0
        while true {
            let step: (consumed: Int, event: HTTPParserEvent?)
            do {
                step = try parser.parse(UnsafeRawBufferPointer(rebasing: piece[used...]))
            } catch {
                outcome.error = error
                return outcome
            }
            used += step.consumed
            guard let event = step.event else { break }
            switch event {
            case .head(let head):
                precondition(head.headers.count <= limits.maxHeaderCount)
                precondition(head.target.utf8.count <= limits.maxRequestLineLength)
                outcome.heads.append("\(head.method) \(head.target) \(head.minorVersion) \(head.headers.count) \(head.framing)")
            case .body(let bytes):
                currentBody += bytes.count
                precondition(currentBody <= limits.maxBodyBytes)
            case .end:
                outcome.bodyBytes.append(currentBody)
                currentBody = 0
                outcome.ends += 1
            }
        }
        precondition(used == piece.count, "parser left bytes of a piece unconsumed without an event")
        offset += size
        if offset >= input.count { break }
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = run(input, pieceSizes: [])
    let sizes = size > 0 ? [1 + Int(input[0] % 7), 1, 3 + Int(input[size - 1] % 13)] : [1]
    let split = run(input, pieceSizes: sizes)
    precondition(whole == split, "whole and split parses disagree")
    return 0
}
