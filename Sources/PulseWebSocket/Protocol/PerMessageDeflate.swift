/// What this endpoint is willing to do for permessage-deflate (RFC 7692).
public struct PerMessageDeflateOptions: Sendable, Equatable {
    /// Largest LZ77 window the server compresses with (9...15; zlib has no raw 8-bit window).
    public var serverMaxWindowBits: Int
    /// Window we ask the client to compress with, when the client allows us to choose.
    public var clientMaxWindowBits: Int
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool
    /// zlib level 1...9 for our compressor.
    public var compressionLevel: Int
    /// Messages shorter than this go uncompressed (compression rarely pays for tiny ones).
    public var minimumSizeToCompress: Int

    public init(
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15,
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        compressionLevel: Int = 6, minimumSizeToCompress: Int = 0
    ) {
        self.serverMaxWindowBits = min(15, max(9, serverMaxWindowBits))
        self.clientMaxWindowBits = min(15, max(9, clientMaxWindowBits))
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.compressionLevel = compressionLevel
        self.minimumSizeToCompress = minimumSizeToCompress
    }
}

/// The parameters both ends agreed on during the handshake.
public struct PerMessageDeflateParameters: Sendable, Equatable {
    public var serverNoContextTakeover = false
    public var clientNoContextTakeover = false
    public var serverMaxWindowBits = 15
    public var clientMaxWindowBits = 15
    public var compressionLevel = 6
    public var minimumSizeToCompress = 0

    public init() {}

    static let name = "permessage-deflate"

    /// Server side: picks the first acceptable offer from the client's header values and
    /// returns the agreed parameters plus the response header value; nil to decline all.
    public static func negotiate(
        offers headerValues: [String], options: PerMessageDeflateOptions
    ) -> (parameters: PerMessageDeflateParameters, response: String)? {
        guard let elements = WebSocketExtensionElement.parse(headerValues) else { return nil }
        for offer in elements where offer.name == name {
            if let accepted = accept(offer, options: options) { return accepted }
        }
        return nil
    }

    private static func accept(
        _ offer: WebSocketExtensionElement, options: PerMessageDeflateOptions
    ) -> (PerMessageDeflateParameters, String)? {
        var seen = Set<String>()
        var serverNCT = false, clientNCT = false
        var serverBits: Int?
        var clientBitsOffered = false
        var clientBits: Int?
        for p in offer.parameters {
            guard seen.insert(p.name).inserted else { return nil }  // duplicates: decline
            switch p.name {
            case "server_no_context_takeover":
                guard p.value == nil else { return nil }
                serverNCT = true
            case "client_no_context_takeover":
                guard p.value == nil else { return nil }
                clientNCT = true
            case "server_max_window_bits":
                guard let v = p.value.flatMap(windowBits) else { return nil }
                serverBits = v
            case "client_max_window_bits":
                clientBitsOffered = true
                if let raw = p.value {
                    guard let v = windowBits(raw) else { return nil }
                    clientBits = v
                }
            default:
                return nil
            }
        }
        var agreed = PerMessageDeflateParameters()
        agreed.compressionLevel = options.compressionLevel
        agreed.minimumSizeToCompress = options.minimumSizeToCompress
        var response = WebSocketExtensionElement(name: name)
        agreed.serverNoContextTakeover = serverNCT || options.serverNoContextTakeover
        if agreed.serverNoContextTakeover { response.parameters.append(.init(name: "server_no_context_takeover")) }
        agreed.clientNoContextTakeover = clientNCT || options.clientNoContextTakeover
        if agreed.clientNoContextTakeover { response.parameters.append(.init(name: "client_no_context_takeover")) }
        let sBits = min(serverBits ?? 15, options.serverMaxWindowBits)
        if sBits < 9 { return nil }  // zlib cannot honour an 8-bit window; decline this offer
        agreed.serverMaxWindowBits = sBits
        if serverBits != nil || sBits < 15 {
            response.parameters.append(.init(name: "server_max_window_bits", value: String(sBits)))
        }
        if clientBitsOffered {
            let cBits = min(clientBits ?? 15, options.clientMaxWindowBits)
            agreed.clientMaxWindowBits = cBits
            if clientBits != nil || cBits < 15 {
                response.parameters.append(.init(name: "client_max_window_bits", value: String(cBits)))
            }
        }
        return (agreed, response.headerValue)
    }

    /// Client side: the offer to send.
    public static func clientOffer(options: PerMessageDeflateOptions) -> String {
        var offer = WebSocketExtensionElement(name: name)
        if options.serverNoContextTakeover { offer.parameters.append(.init(name: "server_no_context_takeover")) }
        if options.clientNoContextTakeover { offer.parameters.append(.init(name: "client_no_context_takeover")) }
        if options.serverMaxWindowBits < 15 {
            offer.parameters.append(.init(name: "server_max_window_bits", value: String(options.serverMaxWindowBits)))
        }
        offer.parameters.append(.init(name: "client_max_window_bits"))
        return offer.headerValue
    }

    /// Client side: validates the server's response to `clientOffer(options:)`.
    /// Returns nil when the server did not enable the extension; throws when the response
    /// is not one our offer allows (the client must then fail the connection).
    public static func acceptResponse(
        _ headerValues: [String], options: PerMessageDeflateOptions
    ) throws(WebSocketProtocolError) -> PerMessageDeflateParameters? {
        guard let elements = WebSocketExtensionElement.parse(headerValues) else {
            throw .protocolError("malformed Sec-WebSocket-Extensions")
        }
        if elements.isEmpty { return nil }
        guard elements.count == 1, elements[0].name == name else {
            throw .protocolError("server chose an extension we did not offer")
        }
        var agreed = PerMessageDeflateParameters()
        agreed.compressionLevel = options.compressionLevel
        agreed.minimumSizeToCompress = options.minimumSizeToCompress
        agreed.clientMaxWindowBits = options.clientMaxWindowBits
        var seen = Set<String>()
        for p in elements[0].parameters {
            guard seen.insert(p.name).inserted else { throw .protocolError("duplicate extension parameter") }
            switch p.name {
            case "server_no_context_takeover" where p.value == nil: agreed.serverNoContextTakeover = true
            case "client_no_context_takeover" where p.value == nil: agreed.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let v = p.value.flatMap(windowBits), v <= options.serverMaxWindowBits else {
                    throw .protocolError("bad server_max_window_bits")
                }
                agreed.serverMaxWindowBits = v
            case "client_max_window_bits":
                // zlib has no raw 8-bit window, so a demand for 8 cannot be honoured.
                guard let v = p.value.flatMap(windowBits), v >= 9 else { throw .protocolError("bad client_max_window_bits") }
                agreed.clientMaxWindowBits = min(v, options.clientMaxWindowBits)
            default:
                throw .protocolError("unknown permessage-deflate parameter")
            }
        }
        if options.serverNoContextTakeover && !agreed.serverNoContextTakeover {
            throw .protocolError("server ignored server_no_context_takeover")
        }
        agreed.clientNoContextTakeover = agreed.clientNoContextTakeover || options.clientNoContextTakeover
        return agreed
    }

    private static func windowBits(_ s: String) -> Int? {
        guard s.count <= 2, s.first != "0", let v = Int(s), (8...15).contains(v) else { return nil }
        return v
    }
}
