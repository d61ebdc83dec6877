/// The five Pulse services.
public enum ServiceName: String, Sendable, CaseIterable, Codable {
    case gateway, auth, backend, etl, ai

    /// The executable built for the service.
    public var executableName: String {
        switch self {
        case .gateway: return "pulse-frontend-gateway"
        case .auth: return "pulse-auth"
        case .backend: return "pulse-backend"
        case .etl: return "pulse-etl"
        case .ai: return "pulse-ai"
        }
    }

    /// The seed's port for the service.
    public var defaultPort: Int {
        switch self {
        case .gateway: return 3000
        case .backend: return 3001
        case .auth: return 4000
        case .ai: return 5000
        case .etl: return 8000
        }
    }

    /// A human name for docs and logs.
    public var displayName: String {
        switch self {
        case .gateway: return "frontend gateway"
        case .auth: return "auth service"
        case .backend: return "backend service"
        case .etl: return "ETL service"
        case .ai: return "AI service"
        }
    }
}
