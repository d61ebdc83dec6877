// Token verification, signing and password-hash cost, measured single-threaded.
// Run through bench/security/run.sh (release build, pinned to one core).
import Foundation
import PulseCore

/// Thread CPU time in seconds: unlike wall time it does not count time spent descheduled,
/// so on a loaded machine it approximates what an idle core would do.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Runs `body` for `seconds` of wall time after a warm-up; prints the rate per wall second
/// and per CPU second; returns (wall, cpu) rates.
@discardableResult
func measure(_ label: String, seconds: Double = 3, _ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
    for _ in 0..<50 { try body() }
    var n = 0
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = cpuSeconds()
    var elapsed = 0.0
    repeat {
        for _ in 0..<100 { try body() }
        n += 100
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds
    let cpu = cpuSeconds() - cpuStart
    let wallRate = Double(n) / elapsed
    let cpuRate = Double(n) / cpu
    print(String(format: "%-56@ %10.0f /s wall %10.0f /s CPU  (%.1f µs CPU each)", label as NSString, wallRate, cpuRate, 1e6 / cpuRate))
    return (wallRate, cpuRate)
}

let issuer = "https://auth.pulse.bench"
let policy = try ClaimsPolicy(issuer: issuer, audience: "pulse")
var ring = SigningKeyRing(maximumTokenLifetime: 900)
ring.rotate(now: Date())
let key = ring.activeKey!
let source = InMemoryJWKSSource(ring.jwks(now: Date()))

func claims(_ i: Int) -> JWTClaims {
    let now = Int64(Date().timeIntervalSince1970)
    return JWTClaims(issuer: issuer, subject: "user-\(i)", audience: ["pulse"], expiresAt: now + 3600, notBefore: now,
        issuedAt: now, tokenID: SecureRandom.token(byteCount: 12), clientID: "client-\(i % 7)", roles: ["analyst", "viewer"],
        permissions: ["dora:read", "reports:*", "gha:read"], sessionID: "sess-\(i)")
}

let distinct = try (0..<4096).map { try JWT.sign(claims($0), with: key) }
print("token size: \(distinct[0].utf8.count) bytes (EdDSA, typ at+jwt)")

func warmVerifier(cacheSize: Int) async throws -> TokenVerifier {
    let verifier = TokenVerifier(configuration: TokenVerifierConfiguration(policy: policy, verifiedTokenCacheSize: cacheSize), keySource: source)
    _ = try await verifier.verify(distinct[0])  // warm the JWKS cache
    return verifier
}

let cold = try await warmVerifier(cacheSize: 0)
var i = 0
let fullRate = try measure("verify, full EdDSA check every token (warm JWKS)") {
    _ = try cold.verifyWithCachedKeys(distinct[i & 4095])
    i &+= 1
}

let cached = try await warmVerifier(cacheSize: 10_000)
let sessions = Array(distinct.prefix(500))  // 500 active sessions re-sending their token
i = 0
let cachedRate = try measure("verify, 500 sessions re-sending tokens (verified cache)") {
    _ = try cached.verifyWithCachedKeys(sessions[i % 500])
    i &+= 1
}

let vk = key.verificationKey
let parsed = try JWT.parse(distinct[1])
let rawRate = measure("raw Ed25519 signature check only (OpenSSL EVP)") {
    precondition(vk.isValidSignature(parsed.signature, for: parsed.signingInput))
}

let parseRate = try measure("parse only (split, base64url, header JSON)") { _ = try JWT.parse(distinct[1]) }
let claimsRate = try measure("claims JSON decode only") { _ = try parsed.claims() }

i = 0
let signRate = try measure("sign access token (EdDSA, claims → compact JWS)") {
    _ = try JWT.sign(claims(i), with: key)
    i &+= 1
}

// RS256 (what Okta signs id_tokens with), verified through the same JWS path.
let modulusHex = ProcessInfo.processInfo.environment["RS256_MODULUS_HEX"] ?? ""
let rsaToken = ProcessInfo.processInfo.environment["RS256_TOKEN"] ?? ""
var rsRate = 0.0  // CPU rate
if let modulus = try? Hex.decode(modulusHex), !modulus.isEmpty,
    let rsKey = try? VerificationKey(jwk: JWK(kty: "RSA", kid: "bench-rsa", n: Base64URL.encode(modulus), e: "AQAB")) {
    let rsParsed = try JWT.parse(rsaToken)
    rsRate = try measure("RS256 signature check (2048-bit, id_token path)") { try JWT.checkSignature(rsParsed, key: rsKey) }.cpu
}

// One password hash at the production cost, median of 5 (wall and CPU).
var times: [(wall: Double, cpu: Double)] = []
for _ in 0..<5 {
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = cpuSeconds()
    _ = PasswordHasher.production.hash("correct horse battery staple")
    times.append((Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6, (cpuSeconds() - cpuStart) * 1e3))
}
let wallMs = times.map(\.wall).sorted()[2]
let cpuMs = times.map(\.cpu).sorted()[2]
print(String(format: "%-56@ %7.0f ms wall %7.0f ms CPU  (median of 5)", "password hash, PBKDF2-HMAC-SHA256 600,000 iterations" as NSString,
    wallMs, cpuMs))
print(String(format: "SUMMARY cpu-rates: verify_full=%.0f verify_cached=%.0f raw_ed25519=%.0f sign=%.0f rs256=%.0f pbkdf2_cpu_ms=%.0f",
    fullRate.cpu, cachedRate.cpu, rawRate.cpu, signRate.cpu, rsRate, cpuMs))
