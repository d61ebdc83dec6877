/// A bad payload the sandbox serves on purpose, once or a few times, for one endpoint: the
/// ETL must report it and skip the item or retry the page, never crash or half-write.
public enum SandboxPayloadFault: Sendable, Equatable {
    /// The member is left out of every item.
    case missingField(String)
    /// The member's value becomes a value of another JSON type (a string becomes a number,
    /// anything else a string).
    case wrongType(String)
    /// The member's value becomes null.
    case null(String)
    /// The body is cut in half (invalid JSON), status 200.
    case truncated
    /// A 502 with GitHub's / Atlassian's HTML error page instead of JSON.
    case htmlError

    func apply(to json: SandboxJSON) -> [UInt8] {
        switch self {
        case .missingField(let key):
            return json.mapItems { $0.filter { $0.0 != key } }.bytes
        case .wrongType(let key):
            return json.mapItems { fields in
                fields.map { f in
                    guard f.0 == key else { return f }
                    if case .string = f.1 { return (f.0, .int(12_345)) }
                    return (f.0, .string("not-a-\(f.0)"))
                }
            }.bytes
        case .null(let key):
            return json.mapItems { $0.map { $0.0 == key ? ($0.0, .null) : $0 } }.bytes
        case .truncated:
            let bytes = json.bytes
            return Array(bytes.prefix(max(1, bytes.count / 2)))
        case .htmlError:
            return Array(SandboxFaultPages.badGateway.utf8)
        }
    }
}

/// One injected fault: which path it hits and how many more times.
struct SandboxInjection: Sendable {
    var path: String
    var fault: SandboxPayloadFault
    var remaining: Int
}

enum SandboxFaultPages {
    /// What a load balancer in front of GitHub or Jira answers on a 502.
    static let badGateway = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
        <body><h1>502 Bad Gateway</h1><p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.</p></body></html>

        """
}

/// One request the sandbox received: for assertions such as "no request before the reset".
public struct SandboxRequestRecord: Sendable {
    /// Wall-clock receive time, epoch seconds with fractions.
    public var receivedAt: Double
    public var method: String
    /// The target as sent (path and query).
    public var target: String
    public var status: Int
    /// For a rate-limited answer: the epoch second before which the client must not come back.
    public var retryNotBefore: Double?
    /// The answer was a rate-limit refusal because the client came back too early.
    public var early: Bool
}
