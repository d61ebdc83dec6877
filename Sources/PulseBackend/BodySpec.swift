import Foundation
import PulseHTTP
import PulseService

/// A JSON request body's shape, used twice: to validate what arrives (every field checked,
/// unknown keys refused, strings past their column length refused, a problem naming the
/// field) and to document it in `/openapi.json`, so the two cannot disagree.
public indirect enum FieldType: Sendable {
    case string(maxLength: Int, minLength: Int = 0, values: [String]? = nil)
    case integer(minimum: Int = Int(Int32.min), maximum: Int = Int(Int32.max))
    case boolean
    /// Any JSON object (free-form settings); `maxBytes` bounds its serialised size.
    case freeObject(maxBytes: Int)
    case array(FieldType, maxItems: Int)
    case object(BodySpec)
}

public struct Field: Sendable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var nullable: Bool
    public init(_ name: String, _ type: FieldType, required: Bool = false, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
        self.nullable = nullable
    }
}

public struct BodySpec: Sendable {
    public var fields: [Field]
    public init(_ fields: [Field]) { self.fields = fields }

    /// The JSON Schema of this object.
    public var schema: OpenAPIDocument.Schema {
        var properties: [String: OpenAPIDocument.Schema] = [:]
        for field in fields { properties[field.name] = Self.schema(of: field.type) }
        let required = fields.filter(\.required).map(\.name)
        return OpenAPIDocument.Schema(type: "object", properties: properties, required: required.isEmpty ? nil : required,
                                      additionalProperties: false)
    }

    static func schema(of type: FieldType) -> OpenAPIDocument.Schema {
        switch type {
        case let .string(maxLength, minLength, values):
            return .init(type: "string", enum: values, minLength: minLength > 0 ? minLength : nil, maxLength: maxLength)
        case let .integer(minimum, maximum): return .init(type: "integer", minimum: Double(minimum), maximum: Double(maximum))
        case .boolean: return .init(type: "boolean")
        case .freeObject: return .init(type: "object")
        case let .array(element, maxItems): return .init(type: "array", items: schema(of: element), maxItems: maxItems)
        case let .object(spec): return spec.schema
        }
    }

    /// Validates a decoded JSON object; `path` prefixes field names in problems. Returns
    /// the object's members (absent optional fields stay absent; `null` only where nullable).
    public func validate(_ value: JSONValue, path: String = "") throws -> [String: JSONValue] {
        guard case .object(let object) = value else {
            throw BodyProblem.invalid(path.isEmpty ? "the document" : String(path.dropLast()), "must be an object")
        }
        let known = Set(fields.map(\.name))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw BodyProblem.invalid(path + unknown, "is not a known field")
        }
        var out: [String: JSONValue] = [:]
        for field in fields {
            let name = path + field.name
            guard let raw = object[field.name] else {
                if field.required { throw BodyProblem.invalid(name, "is required") }
                continue
            }
            if raw == .null {
                guard field.nullable else { throw BodyProblem.invalid(name, "must not be null") }
                out[field.name] = .null
                continue
            }
            out[field.name] = try Self.check(raw, field.type, name)
        }
        return out
    }

    static func check(_ raw: JSONValue, _ type: FieldType, _ name: String) throws -> JSONValue {
        switch type {
        case let .string(maxLength, minLength, values):
            guard case .string(let text) = raw else { throw BodyProblem.invalid(name, "must be a string") }
            guard !text.contains("\0") else { throw BodyProblem.invalid(name, "must not contain NUL") }
            guard text.count <= maxLength else { throw BodyProblem.invalid(name, "is longer than \(maxLength) characters") }
            guard text.count >= minLength else {
                throw BodyProblem.invalid(name, minLength == 1 ? "must not be empty" : "needs at least \(minLength) characters")
            }
            if let values, !values.contains(text) { throw BodyProblem.invalid(name, "must be one of \(values.joined(separator: ", "))") }
            return raw
        case let .integer(minimum, maximum):
            guard case .int(let int) = raw else { throw BodyProblem.invalid(name, "must be an integer") }
            guard int >= minimum, int <= maximum else { throw BodyProblem.invalid(name, "must be between \(minimum) and \(maximum)") }
            return raw
        case .boolean:
            guard case .bool = raw else { throw BodyProblem.invalid(name, "must be true or false") }
            return raw
        case let .freeObject(maxBytes):
            guard case .object = raw else { throw BodyProblem.invalid(name, "must be an object") }
            guard raw.bytes.count <= maxBytes else { throw BodyProblem.invalid(name, "is larger than \(maxBytes) bytes") }
            return raw
        case let .array(element, maxItems):
            guard case .array(let array) = raw else { throw BodyProblem.invalid(name, "must be an array") }
            guard array.count <= maxItems else { throw BodyProblem.invalid(name, "has more than \(maxItems) items") }
            return .array(try array.enumerated().map { try check($0.element, element, "\(name)[\($0.offset)]") })
        case let .object(spec):
            return .object(try spec.validate(raw, path: name + "."))
        }
    }
}

/// A field-level validation failure: 400 problem+json whose detail and `field` name it.
public enum BodyProblem {
    public static let type = "urn:pulse:problem:invalid-field"

    public static func invalid(_ field: String, _ what: String) -> HTTPError {
        HTTPError(.badRequest, detail: "field '\(field)' \(what)", type: type)
    }
}

extension HTTPRequest {
    /// The JSON body parsed (any top-level value), or a 400/413/415 problem.
    func jsonBody(maximumBytes: Int = 256 * 1024) throws -> JSONValue {
        if let contentType = headers["Content-Type"]?.lowercased(), !contentType.hasPrefix("application/json"), !contentType.contains("+json") {
            throw HTTPError(.unsupportedMediaType, detail: "expected a JSON body (Content-Type: application/json)")
        }
        guard body.count <= maximumBytes else { throw HTTPError(.contentTooLarge, detail: "the body is larger than \(maximumBytes) bytes") }
        guard !body.isEmpty, let value = JSONValue.parse(body) else {
            throw HTTPError(.badRequest, detail: "the request body is not valid JSON")
        }
        return value
    }

    /// The JSON object body validated against `spec`.
    func validatedBody(_ spec: BodySpec) throws -> [String: JSONValue] { try spec.validate(try jsonBody()) }
}
