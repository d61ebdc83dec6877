import Testing
@testable import PulseHTTP

@Test func moduleLinks() {}
