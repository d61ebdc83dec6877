import PulseETL
import PulsePostgres
import Testing

@Suite struct SyncContextTests {
    @Test func syncModesAreTheAPIWords() {
        #expect(SyncMode(rawValue: "full") == .full)
        #expect(SyncMode(rawValue: "incremental") == .incremental)
        #expect(SyncMode(rawValue: "partial") == nil)
    }

    @Test func errorsSayWhetherARetryCanHelp() {
        let wrongToken = SyncError("GitHub answered 401 Bad credentials: check the token", retryable: false)
        #expect(!wrongToken.retryable)
        #expect(wrongToken.description.contains("401"))
    }
}
