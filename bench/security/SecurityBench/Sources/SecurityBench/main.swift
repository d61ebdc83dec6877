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
let edKey = SigningKey(ring.rotate(now: Date()))
// The default: RS256 with RSA-2048 (generation time reported; it happens once per rotation).
let genStart = DispatchTime.now().uptimeNanoseconds
let rsKey = try ring.rotate(now: Date(), algorithm: .rs256)
print(String(format: "RSA-2048 key generation: %.0f ms (once per rotation)", Double(DispatchTime.now().uptimeNanoseconds - genStart) / 1e6))
// Both keys published: the ring during a switch from EdDSA to RS256.
let source = InMemoryJWKSSource(JWKSet(keys: [edKey.verificationKey.jwk, rsKey.verificationKey.jwk]))

func claims(_ i: Int) -> JWTClaims {
    let now = Int64(Date().timeIntervalSince1970)
    return JWTClaims(issuer: issuer, subject: "user-\(i)", audience: ["pulse"], expiresAt: now + 3600, notBefore: now,
        issuedAt: now, tokenID: SecureRandom.token(byteCount: 12), clientID: "client-\(i % 7)", roles: ["analyst", "viewer"],
        permissions: ["dora:read", "reports:*", "gha:read"], sessionID: "sess-\(i)")
}

let rsTokens = try (0..<4096).map { try JWT.sign(claims($0), with: rsKey) }
let edTokens = try (0..<4096).map { try JWT.sign(claims($0), with: edKey) }
print("token size: \(rsTokens[0].utf8.count) bytes RS256, \(edTokens[0].utf8.count) bytes EdDSA (typ at+jwt)")

func warmVerifier(cacheSize: Int) async throws -> TokenVerifier {
    let verifier = TokenVerifier(configuration: TokenVerifierConfiguration(policy: policy, verifiedTokenCacheSize: cacheSize), keySource: source)
    _ = try await verifier.verify(rsTokens[0])  // warm the JWKS cache
    return verifier
}

let cold = try await warmVerifier(cacheSize: 0)
var i = 0
let fullRate = try measure("verify RS256, a different token every time (warm JWKS)") {
    _ = try cold.verifyWithCachedKeys(rsTokens[i & 4095])
    i &+= 1
}
i = 0
let fullEdRate = try measure("verify EdDSA, a different token every time (warm JWKS)") {
    _ = try cold.verifyWithCachedKeys(edTokens[i & 4095])
    i &+= 1
}

let cached = try await warmVerifier(cacheSize: 10_000)
let sessions = Array(rsTokens.prefix(500))  // 500 active sessions re-sending their token
i = 0
let cachedRate = try measure("verify, 500 sessions re-sending tokens (verified cache)") {
    _ = try cached.verifyWithCachedKeys(sessions[i % 500])
    i &+= 1
}

let parsed = try JWT.parse(rsTokens[1])
let rsVK = rsKey.verificationKey
let rawRSRate = measure("raw RS256 signature check only (pooled EVP_PKEY_CTX)") {
    precondition(rsVK.isValidSignature(parsed.signature, for: parsed.signingInput))
}
let edParsed = try JWT.parse(edTokens[1])
let edVK = edKey.verificationKey
let rawRate = measure("raw Ed25519 signature check only (pooled EVP_MD_CTX)") {
    precondition(edVK.isValidSignature(edParsed.signature, for: edParsed.signingInput))
}

let parseRate = try measure("parse only (split, base64url, header JSON)") { _ = try JWT.parse(rsTokens[1]) }
let claimsRate = try measure("claims JSON decode only") { _ = try parsed.claims() }

i = 0
let signRate = try measure("sign access token RS256 (claims → compact JWS)", seconds: 3) {
    _ = try JWT.sign(claims(i), with: rsKey)
    i &+= 1
}
i = 0
let signEdRate = try measure("sign access token EdDSA (claims → compact JWS)") {
    _ = try JWT.sign(claims(i), with: edKey)
    i &+= 1
}

// RS256 (what Okta signs id_tokens with), verified through the same JWS path.
let modulusHex = ProcessInfo.processInfo.environment["RS256_MODULUS_HEX"] ?? ""
let rsaToken = ProcessInfo.processInfo.environment["RS256_TOKEN"] ?? ""
var rsRate = 0.0  // CPU rate
if let modulus = try? Hex.decode(modulusHex), !modulus.isEmpty,
    let cliKey = try? VerificationKey(jwk: JWK(kty: "RSA", kid: "bench-rsa", n: Base64URL.encode(modulus), e: "AQAB")) {
    let rsParsed = try JWT.parse(rsaToken)
    rsRate = try measure("RS256 check of an openssl-CLI-signed token (interop)") { try JWT.checkSignature(rsParsed, key: cliKey) }.cpu
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
print(String(format: "SUMMARY cpu-rates: verify_rs256=%.0f verify_eddsa=%.0f verify_cached=%.0f raw_rs256=%.0f raw_ed25519=%.0f sign_rs256=%.0f sign_eddsa=%.0f cli_rs256=%.0f pbkdf2_cpu_ms=%.0f",
    fullRate.cpu, fullEdRate.cpu, cachedRate.cpu, rawRSRate.cpu, rawRate.cpu, signRate.cpu, signEdRate.cpu, rsRate, cpuMs))
_ = (parseRate, claimsRate)
