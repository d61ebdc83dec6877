// PulseCore: the one library every Pulse executable links. It re-exports the layered
// targets so a service writes `import PulseCore` and gets the whole platform core.
@_exported import PulseConfiguration
@_exported import PulseDatabaseOps
@_exported import PulseEmbeddings
@_exported import PulseHTTP
@_exported import PulseHTTPClient
@_exported import PulseObservability
@_exported import PulsePostgres
@_exported import PulseSecurity
@_exported import PulseService
@_exported import PulseSystem
@_exported import PulseVector
@_exported import PulseWebSocket
