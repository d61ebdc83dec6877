import PulseHTTP
import PulseSecurity

extension HTTPRequest {
    /// The identity `require(permission)` established; 401 problem when there is none (a
    /// route registered without the middleware).
    public func authenticatedIdentity() throws -> Identity {
        guard let identity = identity(as: Identity.self) else {
            throw ServiceAuthenticator.unauthorized("authentication required", error: nil)
        }
        return identity
    }

    /// The caller's tenant (`client_id`), the value every query for this request filters by
    /// (F-TENANT; `PostgresDatabase.client(_:)` sets it for row-level security too).
    public func tenantID() throws -> Int {
        guard let id = Int(try authenticatedIdentity().clientID), id > 0 else {
            throw HTTPError(.forbidden, detail: "the identity names no valid client", type: "urn:pulse:auth:forbidden")
        }
        return id
    }
}
