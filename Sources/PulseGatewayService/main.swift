import Foundation
import PulseGateway
import PulseService

// Composition root of the frontend gateway: the web app's files, proxies to the services,
// rate limits and security headers (PulseGateway), plus its own /gateway/session.
await ServiceMain.run(.gateway) { service, logger in
    try GatewayService.install(into: &service, environment: ProcessInfo.processInfo.environment, logger: logger)
}
