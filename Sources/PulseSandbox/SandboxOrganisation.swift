/// A generated organisation: GitHub org `acme-pay` with its repositories and the Jira Cloud
/// site with its projects. Deterministic: the same seed and scale give identical values (and
/// so identical payloads). Times lie within about a year before `reference`, an instant
/// derived from the seed, never from the wall clock.
public struct SandboxOrganisation: Sendable {
    public var seed: UInt64
    public var scale: SandboxConfiguration.Scale
    /// The organisation's "now" (epoch seconds, UTC): every generated timestamp is before it.
    public var reference: Int64
    /// The GitHub organisation's login (`acme-pay`).
    public var login: String
    public var users: [SandboxUser]
    public var repositories: [SandboxRepository]
    public var jira: SandboxJira
    /// How many times `mutate(fraction:)` ran (0 for a fresh organisation).
    public var generation: Int

    public init(seed: UInt64, scale: SandboxConfiguration.Scale) {
        self.seed = seed
        self.scale = scale
        // 2026-01-01T00:00:00Z plus a seed-chosen number of days and minutes.
        reference = 1_767_225_600 + Int64(seed % 200) * 86_400 + Int64(seed % 1_440) * 60
        login = GitHubGenerator.organisation
        users = Self.makeUsers()
        generation = 0
        let (reference, users) = (reference, users)
        repositories = (0..<scale.repositories).map { i in
            var generator = GitHubGenerator(seed: seed, index: i, scale: scale, reference: reference, users: users)
            return generator.generate()
        }
        var jiraGenerator = JiraGenerator(seed: seed, scale: scale, reference: reference, repositories: repositories)
        jira = jiraGenerator.generate()
    }

    public init(configuration: SandboxConfiguration) { self.init(seed: configuration.seed, scale: configuration.scale) }

    public func repository(named name: String) -> SandboxRepository? { repositories.first { $0.name == name } }

    static func makeUsers() -> [SandboxUser] {
        let people: [(String, String)] = [
            ("octo-anna", "Anna Schmidt"), ("jmueller", "José Müller"), ("zoe-li", "Zoë 李"), ("sven-o", "Sven Øberg"),
            ("priya-k", "Priya Kapoor"), ("mateus", "Mateus Conceição"), ("ngozi", "Ngozi Okafor"), ("kenji-t", "田中 健二"),
            ("lea-d", "Léa Dubois"), ("omar-h", "Omar Haddad"), ("sam-r", "Sam Rivera"), ("ingrid", "Ingrid Håkansson"),
        ]
        return people.enumerated().map { i, p in
            SandboxUser(login: p.0, id: 583_231 + Int64(i) * 10_007, name: p.1, email: "\(p.0)@acme-pay.example")
        }
    }
}
