import Foundation

/// JSON bodies with the platform's conventions: snake_case keys, ISO-8601 UTC dates.
public enum JSONCoding {
    /// A new encoder with snake_case keys and ISO-8601 dates (sorted keys for stable output).
    public static func makeEncoder() -> JSONEncoder {
        JSONBodyEncoder.platform.makeFoundationEncoder()  // one definition of the conventions
    }

    /// A new decoder reading snake_case keys and ISO-8601 dates.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension HTTPResponse {
    /// A JSON response (`application/json`) from an `Encodable` value, written by our streaming
    /// `JSONBodyEncoder` (the platform's conventions unless told otherwise).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok, encoder: JSONBodyEncoder = .platform) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes(try encoder.encode(value)))
    }

    /// A JSON response written by a Foundation `JSONEncoder` (for settings `JSONBodyEncoder`
    /// does not offer, such as pretty printing).
    public static func json<T: Encodable>(_ value: T, status: HTTPStatus = .ok, encoder: JSONEncoder) throws -> HTTPResponse {
        let data = try encoder.encode(value)
        return HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes([UInt8](data)))
    }
}

extension HTTPRequest {
    /// Decodes the JSON body. Bad input becomes a 400 (or 415 for another content type)
    /// problem naming what is wrong, never a 500.
    public func decode<T: Decodable>(_ type: T.Type = T.self, decoder: JSONDecoder = JSONCoding.makeDecoder()) throws -> T {
        if let contentType = headers["Content-Type"]?.lowercased(),
            !contentType.hasPrefix("application/json"), !contentType.contains("+json")
        {
            throw HTTPError(.unsupportedMediaType, detail: "expected a JSON body (Content-Type: application/json)")
        }
        if body.isEmpty { throw HTTPError(.badRequest, detail: "the request body is empty; a JSON document is required") }
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw HTTPError(.badRequest, detail: Self.describe(error))
        } catch {
            throw HTTPError(.badRequest, detail: "the request body is not valid JSON")
        }
    }

    /// A client-safe description of a decoding failure: the field path and the problem.
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let text = codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\(snake($0.stringValue))" }.joined()
            return text.isEmpty ? "the document" : String(text.drop { $0 == "." })
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "field '\(path(context.codingPath))' has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let context):
            return "field '\(path(context.codingPath))' is null (expected \(typeName(type)))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the request body is not valid JSON" : "field '\(path(context.codingPath))' has an invalid value"
        @unknown default:
            return "the request body does not match the expected document"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        case is Bool.Type: "boolean"
        default: "\(type)".hasPrefix("Array") ? "array" : "object"
        }
    }

    private static func snake(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}
