// pulse-embed: the local embedding model from the command line.
//   pulse-embed "some text"            prints the 384 components
//   pulse-embed tokens "some text"     prints the token ids
//   pulse-embed bench --tokens 16,128,256 --threads 1,2
import ArgumentParser
import PulseEmbeddings

@main
struct PulseEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pulse-embed",
        abstract: "Embeds text with the local all-MiniLM-L6-v2 model (PULSE_EMBEDDING_MODEL_DIR or models/).",
        subcommands: [Vector.self, Tokens.self, Bench.self],
        defaultSubcommand: Vector.self)
}

func loadModel() throws -> LocalEmbeddingModel {
    do {
        return try LocalEmbeddingModel()
    } catch {
        throw ValidationError(error.description)
    }
}

struct Vector: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the embedding of each text, one line each.")
    @Argument(help: "Texts to embed.") var texts: [String]

    func run() throws {
        let model = try loadModel()
        for vector in model.embed(texts) {
            print(vector.map { String($0) }.joined(separator: " "))
        }
    }
}

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the token ids of each text.")
    @Argument(help: "Texts to tokenize.") var texts: [String]

    func run() throws {
        let model = try loadModel()
        for text in texts { print(model.tokenizer.encode(text).map(String.init).joined(separator: " ")) }
    }
}
