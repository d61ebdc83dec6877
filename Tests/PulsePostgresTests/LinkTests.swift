import Testing
@testable import PulsePostgres

@Test func moduleLinks() {}
