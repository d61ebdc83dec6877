import Foundation
import PulseObservability

/// Process-level gauges refreshed on each scrape: `pulse_service_info`, start time, resident
/// memory and open file descriptors (from `/proc/self`).
struct ProcessMetrics: Sendable {
    private let residentBytes: Gauge
    private let openFDs: Gauge

    init(registry: MetricsRegistry, service: String, version: String) {
        registry.gauge("pulse_service_info", help: "Always 1; labels name the service and its version.",
                       labels: ["service", "version"]).labels(service, version).set(1)
        registry.gauge("process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.")
            .unlabelled.set(Date().timeIntervalSince1970.rounded())
        residentBytes = registry.gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.").unlabelled
        openFDs = registry.gauge("process_open_fds", help: "Number of open file descriptors.").unlabelled
    }

    func update() {
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
           let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            residentBytes.set(pages * Double(sysconf(Int32(_SC_PAGESIZE))))
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFDs.set(Double(fds.count))
        }
    }
}
