/// The Jira Cloud endpoints (`/rest/api/3`, `/rest/agile/1.0`).
extension SandboxServer {
    func jiraRoute(_ request: SandboxRequest, organisation org: SandboxOrganisation) -> SandboxReply {
        Self.jiraError("The Jira half of the sandbox is not served yet.", status: 404)
    }
}

enum SandboxJiraPayloads {
    static let botAccountID = "712020:5b10a2844c20165700ede21g"
}
