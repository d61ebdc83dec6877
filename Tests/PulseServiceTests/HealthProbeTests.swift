import Testing
@testable import PulseService

@Test func probeParsesLengthAndChunkedBodies() {
    let plain = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
    #expect(HealthProbe.parse(plain) == .init(status: 200, body: "ok"))
    let chunked = Array("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnot \r\n5;x=y\r\nready\r\n0\r\n\r\n".utf8)
    #expect(HealthProbe.parse(chunked) == .init(status: 503, body: "not ready"))
    #expect(HealthProbe.parse(Array("garbage".utf8)) == nil)
    #expect(HealthProbe.parse(Array("HTTP/1.1 abc\r\n\r\n".utf8)) == nil)
}

@Test func probeOfAClosedPortIsNil() {
    // Port 1 on loopback: nothing listens there in a test environment, connect is refused.
    #expect(HealthProbe.get(host: "127.0.0.1", port: 1, timeout: 0.5) == nil)
    #expect(HealthProbe.get(host: "not-an-ip", port: 80) == nil)
}
