import Testing
@testable import PulseEmbeddings

@Test func moduleLinks() {}
