/// Seals an integration's credentials (`integrations.credentials_encrypted`) with AES-256-GCM,
/// bound to the row: the associated data names the client and the integration, so sealed
/// bytes copied into another row or tenant fail to open. The backend seals on create/update;
/// the ETL opens just before a sync. The plaintext is the credentials' JSON object text.
public struct CredentialSealer: Sendable {
    private let key: AESGCMKey

    public init(key: AESGCMKey) { self.key = key }

    public func seal(_ credentialsJSON: String, clientID: Int, integrationID: Int) throws(SecurityError) -> [UInt8] {
        try AESGCM.seal(Array(credentialsJSON.utf8), key: key,
                        associatedData: Self.associatedData(clientID: clientID, integrationID: integrationID))
    }

    public func open(_ sealed: [UInt8], clientID: Int, integrationID: Int) throws(SecurityError) -> String {
        let plain = try AESGCM.open(sealed, key: key, associatedData: Self.associatedData(clientID: clientID, integrationID: integrationID))
        return String(decoding: plain, as: UTF8.self)
    }

    static func associatedData(clientID: Int, integrationID: Int) -> [UInt8] {
        Array("pulse.integration.credentials:\(clientID):\(integrationID)".utf8)
    }
}
