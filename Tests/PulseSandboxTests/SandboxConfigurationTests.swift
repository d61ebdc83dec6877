import PulseSandbox
import Testing

@Suite struct SandboxConfigurationTests {
    @Test func largeScaleIsTheBenchmarkOrganisation() {
        let large = SandboxConfiguration.Scale.large
        #expect(large.repositories == 100)
        #expect(large.repositories * large.pullRequestsPerRepository == 50_000)
        #expect(large.repositories * large.commitsPerRepository == 200_000)
        #expect(large.jiraProjects * large.issuesPerProject == 30_000)
    }

    @Test func namedScalesAreTheDeclaredOnes() {
        #expect(SandboxConfiguration.Scale.named["demo"] == .demo)
        #expect(SandboxConfiguration.Scale.named["test"] == .test)
        #expect(SandboxConfiguration.Scale.named["huge"] == nil)
    }
}
