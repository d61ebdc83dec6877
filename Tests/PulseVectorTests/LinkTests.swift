import Testing
@testable import PulseVector

@Test func moduleLinks() {}
