import Foundation
import Testing
@testable import PulseSecurity

/// Asserts that `body` throws a SecurityError with `code`.
func expectError(_ code: SecurityError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as SecurityError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

func expectError(_ code: SecurityError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as SecurityError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
    }
}

/// A fixed test epoch so time-dependent checks are deterministic.
let epoch = Date(timeIntervalSince1970: 1_700_000_000)
let testIssuer = "https://auth.pulse.test"
let testAudience = "pulse"

func accessClaims(now: Date = epoch, lifetime: TimeInterval = 900, sid: String? = "sess-1", kid: String? = nil) -> JWTClaims {
    JWTClaims(issuer: testIssuer, subject: "user-42", audience: [testAudience], expiresAt: Int64(now.timeIntervalSince1970 + lifetime),
        notBefore: Int64(now.timeIntervalSince1970), issuedAt: Int64(now.timeIntervalSince1970), tokenID: SecureRandom.token(byteCount: 8),
        clientID: "client-a", roles: ["analyst"], permissions: ["dora:read", "reports:*"], sessionID: sid)
}

func testPolicy() -> ClaimsPolicy { try! ClaimsPolicy(issuer: testIssuer, audience: testAudience, leeway: 30) }

/// Builds a compact JWS from raw header/payload JSON and a signature, for forging attacks.
func compact(header: String, payload: String, signature: [UInt8]) -> String {
    Base64URL.encode(header) + "." + Base64URL.encode(payload) + "." + Base64URL.encode(signature)
}

func payloadJSON(_ claims: JWTClaims) -> String {
    String(decoding: try! JSONEncoder().encode(claims), as: UTF8.self)
}

/// Runs a process to completion; returns stdout. For the `openssl` CLI interop tests.
func run(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    if stdin != nil { process.standardInput = input }
    try process.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw CocoaError(.fileReadUnknown)
    }
    return Array(data)
}

/// A throwaway directory removed when the closure returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pulse-sec-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    return try body(dir)
}
