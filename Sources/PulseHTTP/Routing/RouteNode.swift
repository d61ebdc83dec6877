/// A registered route.
struct Route: Sendable {
    var pattern: String
    var handler: Router.Handler
}

/// Pattern and path splitting.
enum RoutePattern {
    enum Segment: Hashable {
        case literal(String)
        case parameter(String)
        case wildcard
        case catchAll
    }

    static func normalise(_ pattern: String) -> String {
        "/" + pattern.split(separator: "/").joined(separator: "/")
    }

    static func segments(of pattern: String) -> [Segment] {
        pattern.split(separator: "/").map { part in
            if part == "**" { return .catchAll }
            if part == "*" { return .wildcard }
            if part.hasPrefix(":") { return .parameter(String(part.dropFirst())) }
            return .literal(String(part))
        }
    }

    /// Splits a raw (still percent-encoded) request path and decodes each segment, so an
    /// encoded `/` stays inside its segment.
    static func requestSegments(_ rawPath: String) -> [String] {
        rawPath.split(separator: "/").map { PercentDecoding.decode(String($0)) ?? String($0) }
    }
}

/// A trie node: literal children by text, one parameter child, one wildcard, one catch-all.
struct RouteNode: Sendable {
    var literals: [String: RouteNode] = [:]
    var parameter: (name: String, node: Box)?
    var wildcard: Box?
    var catchAll: [HTTPMethod: Route] = [:]
    var routes: [HTTPMethod: Route] = [:]

    /// Reference box so the trie can nest values recursively.
    final class Box: @unchecked Sendable {
        var node: RouteNode
        init(_ node: RouteNode) { self.node = node }
    }

    enum Lookup {
        case found(Route, [String: String])
        case methodNotAllowed(Set<HTTPMethod>)
        case notFound
    }

    mutating func insert(segments: [RoutePattern.Segment], method: HTTPMethod, route: Route) {
        guard let first = segments.first else {
            routes[method] = route
            return
        }
        let rest = Array(segments.dropFirst())
        switch first {
        case .literal(let text):
            literals[text, default: RouteNode()].insert(segments: rest, method: method, route: route)
        case .parameter(let name):
            let box = parameter?.node ?? Box(RouteNode())
            box.node.insert(segments: rest, method: method, route: route)
            parameter = (name, box)
        case .wildcard:
            let box = wildcard ?? Box(RouteNode())
            box.node.insert(segments: rest, method: method, route: route)
            wildcard = box
        case .catchAll:
            catchAll[method] = route
        }
    }

    func lookup(method: HTTPMethod, segments: [String]) -> Lookup {
        var allowed = Set<HTTPMethod>()
        var parameters: [String: String] = [:]
        if let found = find(method: method, segments: segments[...], parameters: &parameters, allowed: &allowed) {
            return .found(found, parameters)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }

    private static func pick(_ routes: [HTTPMethod: Route], _ method: HTTPMethod, allowed: inout Set<HTTPMethod>) -> Route? {
        if routes.isEmpty { return nil }
        if let route = routes[method] ?? (method == .head ? routes[.get] : nil) { return route }
        allowed.formUnion(routes.keys)
        if routes[.get] != nil { allowed.insert(.head) }
        return nil
    }

    private func find(method: HTTPMethod, segments: ArraySlice<String>, parameters: inout [String: String], allowed: inout Set<HTTPMethod>) -> Route? {
        guard let first = segments.first else {
            if let route = Self.pick(routes, method, allowed: &allowed) { return route }
            return nil
        }
        let rest = segments.dropFirst()
        if let child = literals[first], let route = child.find(method: method, segments: rest, parameters: &parameters, allowed: &allowed) {
            return route
        }
        if let (name, box) = parameter {
            var attempt = parameters
            attempt[name] = first
            if let route = box.node.find(method: method, segments: rest, parameters: &attempt, allowed: &allowed) {
                parameters = attempt
                return route
            }
        }
        if let box = wildcard, let route = box.node.find(method: method, segments: rest, parameters: &parameters, allowed: &allowed) {
            return route
        }
        if let route = Self.pick(catchAll, method, allowed: &allowed) {
            parameters["**"] = segments.joined(separator: "/")
            return route
        }
        return nil
    }
}
