import Testing
@testable import PulseSystem

@Test func moduleLinks() {}
