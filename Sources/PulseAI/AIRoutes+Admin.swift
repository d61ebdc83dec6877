import Foundation
import PulseHTTP
import PulseService

extension AIRoutes {
    struct SettingsInput: Decodable {
        var provider: AISettings.Provider?
        var baseUrl: String?
        var model: String?
        var dimension: Int?
        var apiKey: String?
        var duplicateThreshold: Double?
    }

    func registerAdmin(on routes: inout ServiceRoutes) {
        let engine = self.engine
        add(&routes, .get, "/ai/settings", "The client's AI settings (provider, model, duplicate threshold; never the API key).") { _, clientID in
            try .json(try await engine.settings.settings(clientID: clientID))
        }
        add(&routes, .put, "/ai/settings", "Changes the client's AI settings; a new model re-embeds everything.", write: true) { request, clientID in
            let input = try request.decode(SettingsInput.self)
            var settings = try await engine.settings.settings(clientID: clientID)
            if let provider = input.provider { settings.provider = provider }
            if let threshold = input.duplicateThreshold {
                guard threshold > 0, threshold <= 1 else { throw HTTPError(.badRequest, detail: "duplicate_threshold must be in (0, 1]") }
                settings.duplicateThreshold = threshold
            }
            if settings.provider == .openai {
                if let base = input.baseUrl {
                    guard let url = URL(string: base), ["http", "https"].contains(url.scheme ?? "") else {
                        throw HTTPError(.badRequest, detail: "base_url must be an http(s) URL")
                    }
                    settings.baseURL = base
                }
                if let model = input.model {
                    guard !model.isEmpty, model.count <= 100 else { throw HTTPError(.badRequest, detail: "model needs 1 to 100 characters") }
                    settings.model = model
                }
                if let dimension = input.dimension {
                    guard [384, 1536].contains(dimension) else { throw HTTPError(.badRequest, detail: "dimension must be 384 or 1536") }
                    settings.dimension = dimension
                }
                guard settings.baseURL != nil, settings.model != nil, settings.dimension != nil else {
                    throw HTTPError(.badRequest, detail: "the openai provider needs base_url, model and dimension")
                }
            } else {
                settings.baseURL = nil
                settings.model = nil
                settings.dimension = nil
            }
            do {
                try await engine.settings.save(clientID: clientID, settings: settings, apiKey: settings.provider == .local ? "" : input.apiKey)
            } catch let error as AIError {
                throw HTTPError(.serviceUnavailable, detail: error.description)
            }
            engine.pipeline.requestDrain(clientID: clientID)
            return try .json(try await engine.settings.settings(clientID: clientID))
        }
        add(&routes, .get, "/ai/embeddings/status", "Embedding backlog progress of the client (documents, embedded, pending, rate, index).") { _, clientID in
            try .json(engine.pipeline.status(clientID: clientID))
        }
        add(&routes, .post, "/ai/embeddings/run", "Drains the client's embedding backlog now and answers when done.", write: true) { _, clientID in
            await engine.pipeline.drainNow(clientID: clientID)
            return try .json(engine.pipeline.status(clientID: clientID))
        }
        add(&routes, .post, "/ai/feedback", "Feedback on an AI answer, stored in ai_learning_memory (a pair marked not_duplicate is not proposed again).",
            write: true) { request, clientID in
            let input = try request.decode(FeedbackInput.self)
            let ids = try await engine.feedback.record(clientID: clientID, userID: try request.authenticatedIdentity().subject, input)
            return try .json(["ids": ids], status: .created)
        }
        add(&routes, .get, "/ai/feedback", "Feedback recorded for the client, newest first.") { request, clientID in
            let limit = try Self.intParameter(request, "limit", default: 100, range: 1...1000)
            return try .json(try await engine.feedback.list(clientID: clientID, limit: limit))
        }
    }
}
