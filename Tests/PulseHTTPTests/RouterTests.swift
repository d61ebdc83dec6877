@testable import PulseHTTP
import Testing

@Suite struct RouterTests {
    static func router() -> Router {
        var router = Router()
        router.get("/users/me") { _ in .text("me") }
        router.get("/users/:id") { request in .text("id=\(request.pathParameters["id"]!)") }
        router.delete("/users/:id") { _ in HTTPResponse(status: .noContent) }
        router.get("/users/:id/posts/:post") { request in .text("\(request.pathParameters["id"]!)/\(request.pathParameters["post"]!)") }
        router.get("/files/**") { request in .text("file=\(request.pathParameters["**"]!)") }
        router.get("/any/*/end") { _ in .text("wild") }
        return router
    }

    func call(_ router: Router, _ method: HTTPMethod, _ target: String) async throws -> (Int, String, HTTPRequest) {
        let request = HTTPRequest(method: method, target: target)
        let response = try await router.respond(to: request)
        return (response.status.code, String(decoding: response.body.bytes ?? [], as: UTF8.self), request)
    }

    @Test func matchingPrefersLiteralsAndCapturesParameters() async throws {
        let router = Self.router()
        #expect(try await call(router, .get, "/users/me").1 == "me")
        #expect(try await call(router, .get, "/users/42").1 == "id=42")
        #expect(try await call(router, .get, "/users/a%2Fb").1 == "id=a/b")
        #expect(try await call(router, .get, "/users/7/posts/9").1 == "7/9")
        #expect(try await call(router, .get, "/files/a/b/c.txt").1 == "file=a/b/c.txt")
        #expect(try await call(router, .get, "/any/thing/end").1 == "wild")
        #expect(try await call(router, .get, "/users/42/").1 == "id=42")
        let (_, _, request) = try await call(router, .get, "/users/42?x=1")
        #expect(request.routePattern == "/users/:id")
    }

    @Test func notFoundMethodNotAllowedAndHead() async throws {
        let router = Self.router()
        #expect(try await call(router, .get, "/nothing").0 == 404)
        #expect(try await call(router, .get, "/users").0 == 404)
        let (status, body, _) = try await call(router, .post, "/users/1")
        #expect(status == 405)
        #expect(body.contains("DELETE, GET, HEAD"))
        #expect(try await call(router, .head, "/users/1").0 == 200)
        #expect(router.match(.get, path: "/users/5")?.pattern == "/users/:id")
    }

    @Test func middlewareOrder() async throws {
        struct Tag: Middleware {
            let name: String
            func handle(_ request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
                var response = try await next.respond(to: request)
                response.headers.add(name: "X-Order", value: name)
                return response
            }
        }
        var router = Self.router()
        router.use(Tag(name: "outer"))
        router.use(Tag(name: "inner"))
        let response = try await router.respond(to: HTTPRequest(method: .get, target: "/users/me"))
        #expect(response.headers.values(for: "X-Order") == ["inner", "outer"])
    }
}
