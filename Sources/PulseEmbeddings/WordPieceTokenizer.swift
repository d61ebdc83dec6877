import Foundation

/// BERT uncased WordPiece tokenization, as done by the Hugging Face fast tokenizer that
/// produced all-MiniLM-L6-v2's reference ids:
/// 1. clean: drop NUL, U+FFFD and control/format characters (C*), map whitespace to " ";
/// 2. put spaces around CJK ideographs;
/// 3. NFD, drop non-spacing marks (accent stripping), lowercase each character;
/// 4. split on whitespace and isolate every punctuation character;
/// 5. greedy longest-match-first word pieces, continuations prefixed "##"; a word that
///    cannot be covered, or longer than 100 characters, becomes one [UNK].
/// Then [CLS] pieces… [SEP], pieces cut to `maxTokens - 2`.
public struct WordPieceTokenizer: Sendable {
    let vocabulary: [String: Int32]
    package let clsID: Int32
    package let sepID: Int32
    package let unknownID: Int32
    package let maxTokens: Int
    static let maxCharactersPerWord = 100

    /// Reads `vocab.txt` (one token per line, line number = id).
    package init(vocabularyFile path: String, maxTokens: Int = 256) throws(EmbeddingError) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .modelMissing(folder: path, detail: "vocab.txt cannot be read as UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(tokens: lines, maxTokens: maxTokens, source: path)
    }

    /// A tokenizer over an in-memory vocabulary (index = id).
    package init(tokens: [String], maxTokens: Int = 256, source: String = "vocabulary") throws(EmbeddingError) {
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(tokens.count)
        for (index, token) in tokens.enumerated() where vocabulary[token] == nil {
            vocabulary[token] = Int32(index)
        }
        guard let cls = vocabulary["[CLS]"], let sep = vocabulary["[SEP]"], let unk = vocabulary["[UNK]"]
        else { throw .corruptModel(file: source, reason: "vocabulary lacks [CLS], [SEP] or [UNK]") }
        guard maxTokens >= 2 else { throw .invalidRequest("maxTokens must be at least 2") }
        self.vocabulary = vocabulary
        self.clsID = cls
        self.sepID = sep
        self.unknownID = unk
        self.maxTokens = maxTokens
    }

    /// Token ids with [CLS]/[SEP], truncated to `maxTokens`.
    public func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [clsID]
        let limit = maxTokens - 1
        for word in Self.preTokenize(Self.normalise(text)) {
            appendPieces(of: word, to: &ids)
            if ids.count >= limit { break }
        }
        if ids.count > limit { ids.removeLast(ids.count - limit) }
        ids.append(sepID)
        return ids
    }

    /// Steps 1-3: cleaned, CJK-spaced, accent-stripped, lowercased text.
    static func normalise(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isCJK(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var result = String.UnicodeScalarView()
        for scalar in String(cleaned).decomposedStringWithCanonicalMapping.unicodeScalars
        where scalar.properties.generalCategory != .nonspacingMark {
            if scalar.isASCII {
                result.append(Unicode.Scalar(UInt8(ascii: scalar).lowercasedASCII))
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    /// Step 4: words split on whitespace, each punctuation character a word of its own.
    static func preTokenize(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            if isWhitespace(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Step 5 for one word.
    func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        guard word.count <= Self.maxCharactersPerWord else { ids.append(unknownID); return }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[candidate] { found = id; break }
                end -= 1
            }
            guard let id = found else { ids.append(unknownID); return }
            pieces.append(id)
            start = end
        }
        ids.append(contentsOf: pieces)
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar { case " ", "\t", "\n", "\r": true; default: scalar.properties.isWhitespace }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\t", "\n", "\r": return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT spaces out (not Hangul, Hiragana, Katakana).
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
            || (0x20000...0x2A6DF).contains(v) || (0x2A700...0x2B73F).contains(v)
            || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}

extension UInt8 {
    fileprivate var lowercasedASCII: UInt8 { (65...90).contains(self) ? self + 32 : self }
}

extension WordPieceTokenizer {
    /// Number of distinct tokens in the vocabulary.
    public var vocabularySize: Int { vocabulary.count }
}
