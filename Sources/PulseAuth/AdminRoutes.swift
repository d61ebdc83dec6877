import Foundation
import PulseHTTP
import PulsePostgres
import PulseSecurity
import PulseService

/// RBAC administration of the caller's own client (F-AUTH-RBAC) and the authorize check.
/// Every query runs in the caller's tenant scope, so an id of another client is a 404.
extension AuthRoutes {
    func registerAdmin(on routes: inout ServiceRoutes) {
        let s = self
        func admin(_ method: HTTPMethod, _ path: String, _ summary: String, permission: String,
                   _ handler: @escaping @Sendable (AuthRoutes, HTTPRequest, Int, Caller) async throws -> HTTPResponse) {
            routes.add(method, path, summary: summary + " Needs \(permission).",
                       responses: [.init(200, "OK"), .init(401, "Not signed in"), .init(403, "Missing permission"), .init(404, "Not found")],
                       requestContentType: method == .post ? "application/json" : nil) { request in
                try await s.problems { request in
                    let caller = try await s.caller(request)
                    guard let clientID = caller.clientID else { throw Self.notSignedIn }
                    try await s.require(permission, caller: caller, clientID: clientID)
                    return try await handler(s, request, clientID, caller)
                }(request)
            }
        }
        admin(.get, "/auth/admin/users", "Users of the caller's client.", permission: "users:admin") { s, _, clientID, _ in
            try await s.service.adminListUsers(clientID: clientID).response()
        }
        admin(.post, "/auth/admin/users", "Creates a local user (email, password, optional role).", permission: "users:admin") { s, request, clientID, caller in
            let body = try s.body(request)
            let email = AuthService.normaliseEmail(try body.required("email"))
            guard email.contains("@"), email.utf8.count <= 255 else { throw OAuthError.invalidRequest("email must be an address") }
            let password = try body.required("password")
            guard password.count >= 8, password.utf8.count <= 1024 else { throw OAuthError.invalidRequest("password needs 8 to 1024 characters") }
            if let role = body["role"] { try await s.requireHoldsRole(role, caller: caller, clientID: clientID) }
            let id = try await s.service.store.createUser(clientID: clientID, email: email,
                                                          passwordHash: s.service.configuration.passwordHasher.hash(password),
                                                          roles: body["role"].map { [$0] } ?? [])
            try await s.service.store.audit(clientID: clientID, event: "user_created", outcome: "success", userID: id,
                                            address: s.origin(request).address, userAgent: s.origin(request).userAgent, at: s.service.clock.now())
            return JSONBody.object(["id": .int(Int64(id)), "email": .string(email)]).response(status: .created)
        }
        admin(.post, "/auth/admin/users/:id/roles", "Gives a user a role (created when missing); only roles whose permissions the caller holds.",
              permission: "users:admin") { s, request, clientID, caller in
            let body = try s.body(request)
            let role = try body.required("role")
            guard role.utf8.count <= 100 else { throw OAuthError.invalidRequest("role is longer than 100 bytes") }
            try await s.requireHoldsRole(role, caller: caller, clientID: clientID)
            guard let userID = s.pathID(request), try await s.service.store.user(clientID: clientID, id: userID) != nil else {
                throw HTTPError(.notFound, detail: "no such user")
            }
            try await s.service.assignRole(clientID: clientID, userID: userID, role: role, origin: s.origin(request))
            return JSONBody.object(["user_id": .int(Int64(userID)), "role": .string(role)]).response()
        }
        admin(.delete, "/auth/admin/users/:id/roles/:role", "Takes a role from a user (never the last active admin's admin role).",
              permission: "users:admin") { s, request, clientID, caller in
            guard let userID = s.pathID(request), let role = request.pathParameters["role"] else { throw HTTPError(.notFound, detail: "no such user") }
            try await s.requireHoldsRole(role, caller: caller, clientID: clientID)
            let removed: Bool
            do { removed = try await s.service.removeRole(clientID: clientID, userID: userID, role: role, origin: s.origin(request)) } catch AuthService.AdminRefusal.lastAdmin {
                throw Self.lastAdminConflict
            }
            guard removed else { throw HTTPError(.notFound, detail: "the user does not hold that role") }
            return HTTPResponse(status: .noContent)
        }
        admin(.post, "/auth/admin/users/:id/disable", "Disables a user and revokes every token of it (never the client's last active admin).",
              permission: "users:admin") { s, request, clientID, _ in
            guard let userID = s.pathID(request) else { throw HTTPError(.notFound, detail: "no such user") }
            let disabled: Bool
            do { disabled = try await s.service.disableUser(clientID: clientID, userID: userID, origin: s.origin(request)) } catch AuthService.AdminRefusal.lastAdmin {
                throw Self.lastAdminConflict
            }
            guard disabled else { throw HTTPError(.notFound, detail: "no such user") }
            return HTTPResponse(status: .noContent)
        }
        admin(.get, "/auth/admin/roles", "Roles and their permissions.", permission: "users:admin") { s, _, clientID, _ in
            try await s.service.adminListRoles(clientID: clientID).response()
        }
        admin(.post, "/auth/admin/roles", "Grants a permission to a role (created when missing); only a permission the caller holds.",
              permission: "users:admin") { s, request, clientID, caller in
            let body = try s.body(request)
            let name = try body.required("name"), permission = try body.required("permission")
            guard name.utf8.count <= 100, permission.utf8.count <= 100, permission.contains(":") else {
                throw OAuthError.invalidRequest("permission must look like area:action (at most 100 bytes)")
            }
            // Nobody grants more than they hold (issue 13 item 7).
            guard try await s.holds(permission, caller: caller, clientID: clientID) else {
                throw HTTPError(.forbidden, detail: "you cannot grant \(permission): you do not hold it yourself")
            }
            try await s.service.store.grant(clientID: clientID, role: name, permission: permission)
            try await s.service.store.audit(clientID: clientID, event: "role_changed", outcome: "success", address: s.origin(request).address,
                                            userAgent: s.origin(request).userAgent, details: ["role": name, "granted": permission],
                                            at: s.service.clock.now())
            return JSONBody.object(["name": .string(name), "permission": .string(permission)]).response(status: .created)
        }
        admin(.get, "/auth/admin/service-accounts", "Service accounts (never their secrets).", permission: "service_accounts:admin") { s, _, clientID, _ in
            try await s.service.adminListServiceAccounts(clientID: clientID).response()
        }
        admin(.post, "/auth/admin/service-accounts", "Creates a service account; the secret is shown once.",
              permission: "service_accounts:admin") { s, request, clientID, _ in
            let body = try s.body(request)
            let name = try body.required("name")
            guard name.utf8.count <= 255 else { throw OAuthError.invalidRequest("name is longer than 255 bytes") }
            let created = try await s.service.createServiceAccount(clientID: clientID, name: name, role: body["role"])
            return JSONBody.object(["client_id": .string(created.key), "client_secret": .string(created.secret), "name": .string(name)])
                .response(status: .created)
        }
        admin(.post, "/auth/admin/service-accounts/:id/disable", "Disables a service account and revokes its tokens.",
              permission: "service_accounts:admin") { s, request, clientID, _ in
            guard let id = s.pathID(request), try await s.service.disableServiceAccount(clientID: clientID, id: id, origin: s.origin(request))
            else { throw HTTPError(.notFound, detail: "no such service account") }
            return HTTPResponse(status: .noContent)
        }
        registerOIDCAdmin { method, path, summary, permission, handler in admin(method, path, summary, permission: permission, handler) }
        routes.post("/auth/authorize", summary: "Does the caller hold permission P (optionally on resource R)?",
                    responses: [.init(200, #"{"allowed": bool}"#), .init(401, "Not signed in")]) { request in
            try await s.problems { request in
                let body = try s.body(request)
                let permission = try body.required("permission")
                let caller = try await s.caller(request)
                guard let clientID = caller.clientID else { throw Self.notSignedIn }
                var allowed = try await s.holds(permission, caller: caller, clientID: clientID)
                if !allowed, let resource = body["resource"], !resource.isEmpty {
                    allowed = try await s.holds("\(permission)@\(resource)", caller: caller, clientID: clientID)
                }
                return JSONBody.object(["allowed": .bool(allowed), "permission": .string(permission)]).response()
            }(request)
        }
    }

    static let lastAdminConflict = HTTPError(.conflict, detail: "this is the client's last active admin: give another user the admin role first")

    /// Refuses (403) a role assignment that would hand out a permission the caller lacks.
    func requireHoldsRole(_ role: String, caller: Caller, clientID: Int) async throws {
        for permission in try await service.rolePermissions(clientID: clientID, role: role)
        where !(try await holds(permission, caller: caller, clientID: clientID)) {
            throw HTTPError(.forbidden, detail: "you cannot give the role \(role): it grants \(permission), which you do not hold")
        }
    }

    func pathID(_ request: HTTPRequest) -> Int? {
        guard let text = request.pathParameters["id"], let id = Int(text), id > 0, id <= Int(Int32.max) else { return nil }
        return id
    }

    /// Exact permission or an `area:*` grant, as `Identity.has`; cookie callers are looked up.
    func holds(_ permission: String, caller: Caller, clientID: Int) async throws -> Bool {
        switch caller {
        case .token(let identity): return identity.has(permission)
        case .cookie(_, let session):
            let granted = Set(try await service.store.grants(clientID: clientID, userID: session.userID).permissions)
            if granted.contains(permission) { return true }
            guard let colon = permission.firstIndex(of: ":") else { return false }
            return granted.contains(permission[..<colon] + ":*")
        }
    }

    func require(_ permission: String, caller: Caller, clientID: Int) async throws {
        guard try await holds(permission, caller: caller, clientID: clientID) else {
            throw HTTPError(.forbidden, detail: "permission \(permission) is required")
        }
    }
}
