import Foundation
import PulseHTTP

/// Logo uploads (F-BRAND): PNG, SVG or WebP up to 512 KiB, the declared type confirmed by
/// the file's own bytes (magic numbers), and SVG refused when it carries anything active:
/// scripts, event-handler attributes, `javascript:` URLs, external references, embedded
/// HTML (`foreignObject`) or DTD entities. Refusing (not rewriting) keeps stored logos
/// exactly what was checked.
enum LogoValidation {
    static let maximumBytes = 512 * 1024
    static let types = ["image/png", "image/svg+xml", "image/webp"]

    /// The uploaded file and its declared type: the raw body, or the first file part of a
    /// `multipart/form-data` body (what a browser form sends).
    static func file(_ request: HTTPRequest) throws -> ([UInt8], String?) {
        let contentType = request.headers["Content-Type"] ?? ""
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return (request.body, contentType) }
        guard let range = contentType.range(of: "boundary="), case let boundary = contentType[range.upperBound...]
            .split(separator: ";").first.map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }) ?? "", !boundary.isEmpty
        else { throw BodyProblem.invalid("logo", "is a multipart body without a boundary") }
        let delimiter = Array("--\(boundary)".utf8), separator: [UInt8] = [13, 10, 13, 10]
        let body = request.body
        guard let first = find(delimiter, in: body, from: 0), let headersEnd = find(separator, in: body, from: first) else {
            throw BodyProblem.invalid("logo", "is missing from the multipart body")
        }
        let headers = String(decoding: body[first..<headersEnd], as: UTF8.self)
        let start = headersEnd + 4
        guard let next = find([13, 10] + delimiter, in: body, from: start) else { throw BodyProblem.invalid("logo", "is a truncated multipart part") }
        let partType = headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-type:") }
            .map { String($0.dropFirst("content-type:".count)).trimmingCharacters(in: .whitespaces) }
        return (Array(body[start..<next]), partType)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count, from <= haystack.count - needle.count else { return nil }
        var index = from
        while index <= haystack.count - needle.count {
            if haystack[index] == needle[0], Array(haystack[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }

    static func check(_ bytes: [UInt8], contentType declared: String?) throws -> String {
        let type = (declared ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        guard types.contains(type) else {
            throw HTTPError(.unsupportedMediaType, detail: "a logo must be image/png, image/svg+xml or image/webp (Content-Type)",
                            type: BodyProblem.type)
        }
        guard !bytes.isEmpty else { throw BodyProblem.invalid("logo", "is empty") }
        guard bytes.count <= maximumBytes else {
            throw HTTPError(.contentTooLarge, detail: "field 'logo' is larger than \(maximumBytes / 1024) KiB", type: BodyProblem.type)
        }
        switch type {
        case "image/png":
            guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
                throw BodyProblem.invalid("logo", "is not a PNG file (its bytes do not start with the PNG signature)")
            }
        case "image/webp":
            guard bytes.count >= 12, Array(bytes[0..<4]) == Array("RIFF".utf8), Array(bytes[8..<12]) == Array("WEBP".utf8) else {
                throw BodyProblem.invalid("logo", "is not a WebP file (no RIFF/WEBP header)")
            }
        default:
            try checkSVG(bytes)
        }
        return type
    }

    static func checkSVG(_ bytes: [UInt8]) throws {
        guard let text = String(bytes: bytes, encoding: .utf8) else { throw BodyProblem.invalid("logo", "is not UTF-8 SVG text") }
        let lower = text.lowercased()
        guard lower.contains("<svg") else { throw BodyProblem.invalid("logo", "is not an SVG document (no <svg> element)") }
        let refused: [(String, String)] = [
            ("<script", "contains a <script> element"), ("<!entity", "declares DTD entities"), ("<!doctype", "has a DOCTYPE"),
            ("<foreignobject", "embeds HTML (foreignObject)"), ("javascript:", "contains a javascript: URL"),
            ("<iframe", "embeds an iframe"), ("<embed", "embeds content"), ("<object", "embeds content"),
            ("@import", "imports external styles"), ("<use", "references other content (<use>)"),
            // Animations can rewrite an href at run time (<set attributeName="href" to="javascript:…">).
            ("<set", "animates attributes (<set>)"), ("<animate", "animates attributes (<animate>)"),
            ("<handler", "has an event handler element"), ("<listener", "has an event listener element"),
        ]
        for (needle, reason) in refused where lower.contains(needle) { throw BodyProblem.invalid("logo", "SVG \(reason)") }
        // Event handlers: an attribute named on… (onload=, onclick =, …).
        if lower.range(of: #"[\s/"']on[a-z]+\s*="#, options: .regularExpression) != nil {
            throw BodyProblem.invalid("logo", "SVG has an event-handler attribute (on…=)")
        }
        // References outside the document: href/src/url() to anything but a fragment or data:image.
        let patterns = [#"(?:href|src)\s*=\s*["']\s*(?!#|data:image/)[^"']"#, #"url\(\s*["']?\s*(?!#|data:image/)"#]
        for pattern in patterns where lower.range(of: pattern, options: .regularExpression) != nil {
            throw BodyProblem.invalid("logo", "SVG references external content (only #fragments and data:image are allowed)")
        }
    }
}

/// WCAG 2.x contrast (F-BRAND): the API reports, for each scheme, the ratio of text on
/// background and of text on the primary colour, and whether each meets AA (4.5:1).
enum Contrast {
    /// `#rgb` or `#rrggbb` → relative luminance.
    static func luminance(_ hex: String) -> Double? {
        var digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        if digits.count == 3 { digits = digits.map { "\($0)\($0)" }.joined() }
        guard digits.count == 6, let value = UInt32(digits, radix: 16) else { return nil }
        func channel(_ shift: UInt32) -> Double {
            let c = Double((value >> shift) & 0xFF) / 255
            return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(16) + 0.7152 * channel(8) + 0.0722 * channel(0)
    }

    static func ratio(_ a: String, _ b: String) -> Double? {
        guard let la = luminance(a), let lb = luminance(b) else { return nil }
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    static let pairs: [(name: String, foreground: String, background: String)] = [
        ("text_on_background", "text", "background"), ("text_on_surface", "text", "surface"),
        ("on_primary_on_primary", "on_primary", "primary"),
    ]

    /// `{"text_on_background": {"ratio": 12.6, "passes_aa": true}, ...}` for the pairs present.
    static func report(_ colors: [String: JSONValue]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for pair in pairs {
            guard let fg = colors[pair.foreground]?.stringValue, let bg = colors[pair.background]?.stringValue,
                  let ratio = ratio(fg, bg) else { continue }
            out[pair.name] = .object(["ratio": .double((ratio * 100).rounded() / 100), "passes_aa": .bool(ratio >= 4.5)])
        }
        return .object(out)
    }
}
