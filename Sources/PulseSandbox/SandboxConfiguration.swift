/// What a sandbox serves: which generated organisation (seed and scale) and which faults.
/// The same seed and scale always produce the same organisation, byte for byte.
public struct SandboxConfiguration: Sendable, Equatable {
    /// How big the generated organisation is.
    public struct Scale: Sendable, Equatable {
        public var repositories: Int
        /// Pull requests per repository.
        public var pullRequestsPerRepository: Int
        /// Commits on each default branch (PR merges included).
        public var commitsPerRepository: Int
        public var jiraProjects: Int
        /// Work items per Jira project (incidents included).
        public var issuesPerProject: Int

        public init(repositories: Int, pullRequestsPerRepository: Int, commitsPerRepository: Int,
                    jiraProjects: Int, issuesPerProject: Int) {
            self.repositories = repositories
            self.pullRequestsPerRepository = pullRequestsPerRepository
            self.commitsPerRepository = commitsPerRepository
            self.jiraProjects = jiraProjects
            self.issuesPerProject = issuesPerProject
        }

        /// What `pulse up` serves the demo client: enough for every figure and page.
        public static let demo = Scale(repositories: 6, pullRequestsPerRepository: 120, commitsPerRepository: 400,
                                       jiraProjects: 3, issuesPerProject: 300)
        /// What the tests sync: small enough to run in seconds, with every DORA situation.
        public static let test = Scale(repositories: 3, pullRequestsPerRepository: 25, commitsPerRepository: 80,
                                       jiraProjects: 2, issuesPerProject: 40)
        /// The benchmark's organisation (issue 12): 100 repositories, 50,000 PRs, 200,000
        /// commits, 30,000 Jira issues.
        public static let large = Scale(repositories: 100, pullRequestsPerRepository: 500, commitsPerRepository: 2_000,
                                        jiraProjects: 10, issuesPerProject: 3_000)

        /// The named scales accepted by `pulse sandbox --scale`.
        public static let named: [String: Scale] = ["demo": .demo, "test": .test, "large": .large]
    }

    /// Misbehaviour the sandbox adds on purpose, for tests of the connectors' resilience.
    public struct Faults: Sendable, Equatable {
        /// Every n-th request answers 429 (Jira) or 403/429 (GitHub) with `Retry-After`; 0 = never.
        public var rateLimitEvery: Int
        /// Every n-th request answers 502; 0 = never.
        public var badGatewayEvery: Int
        /// Extra latency added to every response, in milliseconds.
        public var latencyMilliseconds: Int
        /// When true, a listing changes between two calls (an item moves to an earlier page).
        public var shiftingPages: Bool
        /// When true, the first follow-up page (`nextPageToken`) of a Jira search edits the first
        /// issue the search already returned: it moves to the end of `ORDER BY updated ASC` and
        /// every later issue one place earlier, so a pager that trusts the token misses one.
        public var shiftingSearch: Bool
        /// The `Retry-After` (seconds) of the rate-limit faults; a request sent before it ran out
        /// gets the same answer again (default 1).
        public var retryAfterSeconds: Int

        public init(rateLimitEvery: Int = 0, badGatewayEvery: Int = 0, latencyMilliseconds: Int = 0, shiftingPages: Bool = false,
                    retryAfterSeconds: Int = 1, shiftingSearch: Bool = false) {
            self.rateLimitEvery = rateLimitEvery
            self.badGatewayEvery = badGatewayEvery
            self.latencyMilliseconds = latencyMilliseconds
            self.shiftingPages = shiftingPages
            self.retryAfterSeconds = retryAfterSeconds
            self.shiftingSearch = shiftingSearch
        }

        public static let none = Faults()
    }

    /// GitHub's primary rate limit, per token: `limit` requests per `windowSeconds` (the
    /// `x-ratelimit-*` headers count it down; at 0 every request answers 403 until the reset).
    /// A small limit and window give tests primary-limit exhaustion in seconds.
    public struct RateLimit: Sendable, Equatable {
        public var limit: Int
        public var windowSeconds: Int
        public init(limit: Int = 5_000, windowSeconds: Int = 3_600) {
            self.limit = limit
            self.windowSeconds = windowSeconds
        }
    }

    public var seed: UInt64
    public var scale: Scale
    public var faults: Faults
    public var rateLimit: RateLimit
    /// Address to bind (default `127.0.0.1`).
    public var host: String
    /// Port to bind; 0 picks a free one (default 0).
    public var port: Int

    public init(seed: UInt64 = 42, scale: Scale = .demo, faults: Faults = .none, rateLimit: RateLimit = RateLimit(),
                host: String = "127.0.0.1", port: Int = 0) {
        self.seed = seed
        self.scale = scale
        self.faults = faults
        self.rateLimit = rateLimit
        self.host = host
        self.port = port
    }
}
