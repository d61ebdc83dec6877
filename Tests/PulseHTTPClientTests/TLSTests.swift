import Foundation
import PulseHTTPClient
import Testing

@Suite("HTTP client over TLS", .serialized, .timeLimit(.minutes(2)))
struct TLSTests {
    /// Runs `body` with a fresh PKI and servers, always cleaning up.
    func withFixture(_ body: (TLSFixture) async throws -> Void) async throws {
        let fixture = try TLSFixture()
        do {
            try await body(fixture)
            fixture.stop()
        } catch {
            fixture.stop()
            throw error
        }
    }

    func handshakeFailure(_ client: HTTPClient, _ url: String) async -> String? {
        do {
            _ = try await client.get(url)
            return nil
        } catch {
            guard case .tlsHandshakeFailed(let reason) = error else { return "unexpected error: \(error)" }
            return reason
        }
    }

    @Test func verifiesCertificatesHostNamesAndDates() async throws {
        try await withFixture { fixture in
            let client = try HTTPClient(configuration: .init(tls: .init(trustedCAFile: fixture.caFile)))
            let good = try await fixture.port("good")
            let response = try await client.get("https://localhost:\(good)/hello")
            #expect(response.bodyText == "tls ok /hello")
            // Keep-alive works over TLS too.
            _ = try await client.get("https://localhost:\(good)/again")
            #expect(client.statistics.opened == 1)
            // The IP SAN matches an IP URL.
            #expect(try await client.get("https://127.0.0.1:\(good)/ip").bodyText == "tls ok /ip")

            let wrongHost = try await fixture.port("wronghost")
            let mismatch = await handshakeFailure(client, "https://localhost:\(wrongHost)/")
            #expect(mismatch?.contains("hostname mismatch") == true, "\(mismatch ?? "accepted")")

            let expired = try await fixture.port("expired")
            let old = await handshakeFailure(client, "https://localhost:\(expired)/")
            #expect(old?.contains("expired") == true, "\(old ?? "accepted")")

            let untrusted = try await fixture.port("untrusted")
            let stranger = await handshakeFailure(client, "https://localhost:\(untrusted)/")
            #expect(stranger?.contains("self-signed") == true || stranger?.contains("issuer") == true, "\(stranger ?? "accepted")")

            // Without our CA the system store does not know the test CA.
            let system = try HTTPClient()
            let unknown = await handshakeFailure(system, "https://localhost:\(good)/")
            #expect(unknown != nil && unknown?.hasPrefix("unexpected") == false, "\(unknown ?? "accepted")")
        }
    }

    @Test func badCAFileIsAConfigurationError() {
        #expect(throws: HTTPClientError.self) {
            _ = try HTTPClient(configuration: .init(tls: .init(trustedCAFile: "/nonexistent/ca.pem")))
        }
    }

    @Test func plainHTTPToATLSPortFailsCleanly() async throws {
        try await withFixture { fixture in
            let good = try await fixture.port("good")
            let client = try HTTPClient(configuration: .init(timeouts: .init(request: .seconds(2))))
            await #expect(throws: HTTPClientError.self) { _ = try await client.get("http://127.0.0.1:\(good)/") }
        }
    }
}
