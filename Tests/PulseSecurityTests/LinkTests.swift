import Testing
@testable import PulseSecurity

@Test func moduleLinks() {}
