/// A close status code (RFC 6455 §7.4). A struct so application codes (3000–4999) fit.
public struct WebSocketCloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let normalClosure = WebSocketCloseCode(1000)
    public static let goingAway = WebSocketCloseCode(1001)
    public static let protocolError = WebSocketCloseCode(1002)
    public static let unsupportedData = WebSocketCloseCode(1003)
    /// Never sent on the wire: reported when a close frame carried no code.
    public static let noStatusReceived = WebSocketCloseCode(1005)
    /// Never sent on the wire: reported when the TCP connection dropped without a close frame.
    public static let abnormalClosure = WebSocketCloseCode(1006)
    public static let invalidPayloadData = WebSocketCloseCode(1007)
    public static let policyViolation = WebSocketCloseCode(1008)
    public static let messageTooBig = WebSocketCloseCode(1009)
    public static let mandatoryExtension = WebSocketCloseCode(1010)
    public static let internalError = WebSocketCloseCode(1011)
    public static let tryAgainLater = WebSocketCloseCode(1013)

    /// Whether a peer may send this code in a close frame. 1004–1006 and 1015 are reserved,
    /// 1012–1014 are IANA-registered later additions we accept, 3000–4999 belong to
    /// libraries and applications; everything else (0–999, 1016–2999, ≥ 5000) is invalid.
    public var isValidOnWire: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014: return true
        case 3000...4999: return true
        default: return false
        }
    }

    public var description: String { String(rawValue) }
}
