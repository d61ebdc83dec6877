import Testing
@testable import PulseWebSocket

@Test func moduleLinks() {}
