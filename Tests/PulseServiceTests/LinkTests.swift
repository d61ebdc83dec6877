import Testing
@testable import PulseService

@Test func moduleLinks() {}
