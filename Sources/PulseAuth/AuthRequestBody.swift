import Foundation
import PulseHTTP

/// The parameters of an auth request: a flat JSON object of strings or an
/// `application/x-www-form-urlencoded` body (what OAuth clients send). Anything else is a
/// clear `invalid_request`, never a 500.
struct AuthRequestBody: Sendable {
    var fields: [String: String]

    subscript(name: String) -> String? { fields[name] }

    init(fields: [String: String]) { self.fields = fields }

    init(request: HTTPRequest, maximumBytes: Int) throws(OAuthError) {
        guard request.body.count <= maximumBytes else {
            throw OAuthError(.contentTooLarge, "invalid_request", "request body is larger than \(maximumBytes) bytes")
        }
        let type = (request.headers["Content-Type"] ?? "").split(separator: ";").first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json": fields = try Self.parseJSON(request.body)
        case "application/x-www-form-urlencoded": fields = try Self.parseForm(request.body)
        case "" where request.body.isEmpty: fields = [:]
        default:
            throw OAuthError(.unsupportedMediaType, "invalid_request",
                             "Content-Type must be application/json or application/x-www-form-urlencoded")
        }
    }

    /// A required, non-empty parameter.
    func required(_ name: String) throws(OAuthError) -> String {
        guard let value = fields[name], !value.isEmpty else { throw OAuthError.invalidRequest("missing parameter: \(name)") }
        return value
    }

    static func parseJSON(_ body: [UInt8]) throws(OAuthError) -> [String: String] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body), options: []) else {
            throw OAuthError.invalidRequest("request body is not valid JSON")
        }
        guard let object = value as? [String: Any] else { throw OAuthError.invalidRequest("request body must be a JSON object") }
        var fields: [String: String] = [:]
        for (name, member) in object {
            if member is NSNull { continue }
            guard let text = member as? String else { throw OAuthError.invalidRequest("parameter \(Self.printable(name)) must be a string") }
            fields[name] = text
        }
        return fields
    }

    /// RFC 6749 §3.2: a parameter must not appear twice.
    static func parseForm(_ body: [UInt8]) throws(OAuthError) -> [String: String] {
        guard let text = String(validating: body, as: UTF8.self) else { throw OAuthError.invalidRequest("form body is not UTF-8") }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : "") else {
                throw OAuthError.invalidRequest("form body has a malformed percent-encoding")
            }
            guard fields[name] == nil else { throw OAuthError.invalidRequest("parameter \(printable(name)) appears more than once") }
            fields[name] = value
        }
        return fields
    }

    private static func decode(_ part: Substring) -> String? {
        String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A parameter name as it may appear in an error message (bounded, printable).
    static func printable(_ name: String) -> String {
        String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.prefix(40).map(Character.init))
    }
}
