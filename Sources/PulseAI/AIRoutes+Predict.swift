import Foundation
import PulseHTTP
import PulsePostgres
import PulseService

extension AIRoutes {
    struct EstimateInput: Decodable { var workItemId: Int64 }
    struct AnomalyRunInput: Decodable { var asOf: Date? }

    func registerPredictions(on routes: inout ServiceRoutes) {
        let engine = self.engine
        add(&routes, .post, "/ai/estimates/story-points",
            "Story points for an open work item from its most similar finished items (neighbours shown as the reason); logged.") { request, clientID in
            let input = try request.decode(EstimateInput.self)
            return try .json(try await engine.estimator.estimate(clientID: clientID, workItemID: input.workItemId))
        }
        add(&routes, .post, "/ai/forecasts/delivery",
            "Monte Carlo delivery forecast (P50/P85/P95 dates, probability of a target date) for items, an epic or a project backlog; logged.") { request, clientID in
            try .json(try await engine.forecaster.forecast(clientID: clientID, try request.decode(ForecastInput.self)))
        }
        add(&routes, .post, "/ai/predictions/score", "Scores predictions whose outcome is known now (also runs after each sync).",
            write: true) { _, clientID in
            try .json(["scored": try await engine.scorer.score(clientID: clientID)])
        }
        add(&routes, .post, "/ai/anomalies/run", "Runs anomaly detection on the client's weekly figures now (also runs after each sync).",
            write: true) { request, clientID in
            let input = request.body.isEmpty ? AnomalyRunInput() : try request.decode(AnomalyRunInput.self)
            let touched = try await engine.anomalies.run(clientID: clientID, asOf: input.asOf ?? Date())
            return try .json(["raised": touched.filter(\.created).map(\.id), "extended": touched.filter { !$0.created }.map(\.id)])
        }
        add(&routes, .get, "/ai/validation/findings", "Data validation findings (include_dismissed=true for all).") { request, clientID in
            let limit = try Self.intParameter(request, "limit", default: 500, range: 1...5000)
            return try .json(try await engine.validator.list(clientID: clientID, includeDismissed: request.query("include_dismissed") == "true",
                                                             limit: limit))
        }
        add(&routes, .post, "/ai/validation/run", "Runs the data validation rules now (also runs after each sync).", write: true) { _, clientID in
            try .json(["added": try await engine.validator.run(clientID: clientID)])
        }
        add(&routes, .post, "/ai/validation/findings/:id/dismiss", "Dismisses a finding (who and when are kept).", write: true) { request, clientID in
            guard let id = Int64(request.pathParameters["id"] ?? ""),
                try await engine.validator.dismiss(clientID: clientID, id: id, by: try request.authenticatedIdentity().subject)
            else { throw HTTPError(.notFound, detail: "no such finding") }
            return HTTPResponse(status: .noContent)
        }
    }
}
