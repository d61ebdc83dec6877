import Testing

@testable import PulseEmbeddings

/// Edge cases on the real vocabulary (ids cross-checked with the reference fixture's
/// tokenizer where they overlap).
@Suite struct TokenizerTests {
    func tokenizer() throws -> WordPieceTokenizer { try TestModel.model().tokenizer }

    @Test func accentsAreStrippedAndCaseFolded() throws {
        let t = try tokenizer()
        #expect(t.encode("Café RÉSUMÉ naïve") == t.encode("cafe resume naive"))
        #expect(t.encode("Ångström") == t.encode("angstrom"))
    }

    @Test func cjkIdeographsBecomeSeparateWords() throws {
        let t = try tokenizer()
        // 京 is 1755 in the vocabulary; without CJK spacing "京京" would be one word → [UNK].
        #expect(t.encode("京京") == [101, 1755, 1755, 102])
        #expect(t.encode("京Tokyo") == t.encode("京 tokyo"))
    }

    @Test func emojiAndSymbols() throws {
        let t = try tokenizer()
        #expect(t.encode("😀🚀") == [101, 100, 102])
        #expect(t.encode("hi 😀") == t.encode("hi") .dropLast() + [100, 102])
    }

    @Test func controlCharactersAreDroppedAndWhitespaceNormalised() throws {
        let t = try tokenizer()
        #expect(t.encode("ab\u{0}c\u{7}d\u{200B}e\u{FFFD}") == t.encode("abcde"))
        #expect(t.encode("hello\tworld\r\nagain\u{00A0}now") == t.encode("hello world again now"))
    }

    @Test func emptyAndBlankText() throws {
        let t = try tokenizer()
        #expect(t.encode("") == [101, 102])
        #expect(t.encode(" \t\n \u{0} ") == [101, 102])
    }

    @Test func punctuationIsSplitOff() throws {
        let t = try tokenizer()
        #expect(t.encode("hello,world!") == t.encode("hello , world !"))
        #expect(t.encode("a—b") == t.encode("a — b"))
    }

    @Test func overLongWordIsOneUnknown() throws {
        let t = try tokenizer()
        #expect(t.encode(String(repeating: "x", count: 101)) == [101, 100, 102])
        let hundred = t.encode(String(repeating: "x", count: 100))
        #expect(hundred.count > 3 && !hundred.contains(100))
    }

    @Test func truncationKeepsClsAndSep() throws {
        let t = try tokenizer()
        let ids = t.encode(String(repeating: "hello world, ", count: 200))
        #expect(ids.count == 256 && ids.first == 101 && ids.last == 102)
        #expect(!ids.dropFirst().dropLast().contains(102))
        let short = try WordPieceTokenizer(vocabularyFile: TestModel.model().configuration.folder + "/vocab.txt", maxTokens: 5)
        #expect(short.encode("one two three four five") == [101] + t.encode("one two three").dropFirst().dropLast() + [102])
    }

    @Test func greedyLongestMatchWithContinuations() throws {
        let t = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "unaff", "##aff", "##able", "##a", "##ble"])
        #expect(t.encode("unaffable") == [2, 5, 7, 3])  // "unaff" + "##able", not "un" + "##aff" + ...
        #expect(t.encode("unx") == [2, 1, 3])  // an uncoverable word is one [UNK]
        #expect(t.encode("un unaff") == [2, 4, 5, 3])
    }

    @Test func vocabularyWithoutSpecialTokensIsRefused() {
        #expect(throws: EmbeddingError.self) { try WordPieceTokenizer(tokens: ["a", "b"]) }
    }
}
