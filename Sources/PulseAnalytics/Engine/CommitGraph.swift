/// A repository's commit graph with ancestor queries (ancestor-or-equal).
public struct CommitGraph: Sendable {
    private var parents: [String: [String]] = [:]
    /// Generation number: 1 + max over parents (roots 1); orders commits topologically.
    private var generations: [String: Int] = [:]

    public init(_ commits: [CommitFact]) {
        for commit in commits { parents[commit.sha] = commit.parents }
        for commit in commits { _ = generation(commit.sha) }
    }

    public func contains(_ sha: String) -> Bool { parents[sha] != nil }

    /// Generation number (0 for unknown commits).
    public func generationNumber(_ sha: String) -> Int { generations[sha] ?? 0 }

    private mutating func generation(_ sha: String) -> Int {
        if let known = generations[sha] { return known }
        guard parents[sha] != nil else { return 0 }
        // Iterative post-order walk (graphs are deep: no recursion).
        var stack: [(String, Bool)] = [(sha, false)]
        while let (current, expanded) = stack.popLast() {
            if generations[current] != nil { continue }
            let ps = parents[current] ?? []
            if expanded {
                generations[current] = 1 + (ps.map { generations[$0] ?? 0 }.max() ?? 0)
            } else {
                stack.append((current, true))
                for p in ps where generations[p] == nil && parents[p] != nil { stack.append((p, false)) }
            }
        }
        return generations[sha] ?? 0
    }

    /// All commits reachable from `sha` (including itself).
    public func ancestors(of sha: String) -> Set<String> {
        var seen: Set<String> = []
        var stack = [sha]
        while let current = stack.popLast() {
            guard seen.insert(current).inserted else { continue }
            for p in parents[current] ?? [] where !seen.contains(p) { stack.append(p) }
        }
        return seen
    }

    /// Whether `ancestor` is reachable from `descendant` (or equal to it).
    public func isAncestor(_ ancestor: String, ofOrEqual descendant: String) -> Bool {
        if ancestor == descendant { return true }
        let target = generationNumber(ancestor)
        var seen: Set<String> = []
        var stack = [descendant]
        while let current = stack.popLast() {
            if current == ancestor { return true }
            guard seen.insert(current).inserted else { continue }
            for p in parents[current] ?? [] where !seen.contains(p) {
                // A parent's generation is below its child's: prune below the target.
                if target > 0, generationNumber(p) < target, generationNumber(p) != 0 { continue }
                stack.append(p)
            }
        }
        return false
    }

    /// Commits reachable from `sha` but not from `base` (base nil: all ancestors of sha).
    public func newCommits(at sha: String, since base: String?) -> Set<String> {
        let all = ancestors(of: sha)
        guard let base else { return all }
        return all.subtracting(ancestors(of: base))
    }
}
