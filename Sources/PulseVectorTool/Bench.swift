import ArgumentParser
import Foundation
import PulseVector

/// `pulse-vector bench`: builds an index from fvecs, then times one-at-a-time queries per ef.
/// Output contract (shared with the peer runner in bench/vector): `key,value` lines, then
/// `ef,recall,qps,qps_cpu,p50_us,p99_us` and one row per ef.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmark build time, recall and QPS.")

    @Option(help: "Base vectors (.fvecs).") var base: String
    @Option(help: "Query vectors (.fvecs).") var query: String
    @Option(help: "Ground truth ids (.ivecs), nearest first.") var gt: String
    @Option var m: Int = 16
    @Option(name: .customLong("ef-construction")) var efConstruction: Int = 200
    @Option(name: .customLong("ef-search"), help: "Comma-separated ef values.") var efSearch: String = "10,20,40,80,160,320"
    @Option var k: Int = 10
    @Option(help: "Build threads.") var threads: Int = 1
    @Option var seed: UInt64 = 100
    @Option(help: "Minimum timed passes per ef (the fastest counts).") var passes: Int = 3
    @Option(name: .customLong("dump-ids"), help: "Write result ids per ef to DIR/ef<ef>.ivecs.") var dumpIDs: String?
    @Option(help: "Development aid: load the index from this file if it exists (then only load_seconds is printed, no build figures), else build it and save it there.")
    var index: String?

    func run() throws {
        let efs = try efSearch.split(separator: ",").map { part -> Int in
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)), v > 0 else {
                throw ValidationError("bad --ef-search value '\(part)'")
            }
            return v
        }
        let (baseValues, dim, n) = try VecsFile.read(base, as: Float.self)
        let (queryValues, queryDim, nq) = try VecsFile.read(query, as: Float.self)
        let (truth, truthWidth, truthRows) = try VecsFile.read(gt, as: Int32.self)
        guard queryDim == dim else { throw ValidationError("query dimension \(queryDim) != base dimension \(dim)") }
        guard truthRows == nq, truthWidth >= k else { throw ValidationError("ground truth must have \(nq) rows of ≥ \(k) ids") }
        let queries = (0..<nq).map { Array(queryValues[$0 * dim..<($0 + 1) * dim]) }

        let rssBefore = residentBytes()
        let index: HNSWIndex
        if let path = self.index, FileManager.default.fileExists(atPath: path) {
            let wall0 = monotonicSeconds()
            index = try HNSWIndex.load(from: path)
            print("load_seconds,\(fmt(monotonicSeconds() - wall0))")
        } else {
            index = try HNSWIndex(parameters: HNSWParameters(dimension: dim, m: m, efConstruction: efConstruction, seed: seed))
            index.reserve(capacity: n)
            let wall0 = monotonicSeconds()
            let cpu0 = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID)
            try index.add(ids: (0..<UInt64(n)).map { $0 }, vectors: baseValues, threads: threads)
            let buildSeconds = monotonicSeconds() - wall0
            let buildCPU = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0
            // Keep the input alive until RSS is read: Swift may free it right after its last use,
            // which would hide the index's own memory.
            let memory = withExtendedLifetime(baseValues) { residentBytes() - rssBefore }
            print("build_seconds,\(fmt(buildSeconds))")
            print("build_cpu_seconds,\(fmt(buildCPU))")
            print("memory_bytes,\(memory)")
            if let path = self.index { try index.save(to: path) }
        }
        FileHandle.standardError.write(Data("index_bytes,\(index.memoryBytes)\n".utf8))
        print("n,\(n)")
        print("dim,\(dim)")
        print("ef,recall,qps,qps_cpu,p50_us,p99_us")
        for ef in efs {
            var best = Double.infinity
            var bestCPU = Double.infinity
            var latencies = [Double](repeating: 0, count: nq)
            var bestLatencies = latencies
            var found = [[Int32]](repeating: [], count: nq)
            for _ in 0..<max(passes, 1) {
                let passCPU0 = cpuSeconds(CLOCK_THREAD_CPUTIME_ID)
                let pass0 = monotonicSeconds()
                for (i, q) in queries.enumerated() {
                    let t0 = monotonicSeconds()
                    let hits = try index.search(q, k: k, ef: ef)
                    latencies[i] = monotonicSeconds() - t0
                    found[i] = hits.map { Int32(truncatingIfNeeded: $0.id) }
                }
                let wall = monotonicSeconds() - pass0
                bestCPU = min(bestCPU, cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - passCPU0)
                if wall < best {
                    best = wall
                    bestLatencies = latencies
                }
            }
            var hitsTotal = 0
            for i in 0..<nq {
                let expected = Set(truth[i * truthWidth..<i * truthWidth + k])
                hitsTotal += found[i].prefix(k).filter { expected.contains($0) }.count
            }
            bestLatencies.sort()
            let p50 = bestLatencies[nq / 2] * 1e6
            let p99 = bestLatencies[min(nq - 1, Int(Double(nq) * 0.99))] * 1e6
            let recall = Double(hitsTotal) / Double(nq * k)
            print("\(ef),\(fmt(recall, 4)),\(fmt(Double(nq) / best, 1)),\(fmt(Double(nq) / bestCPU, 1)),\(fmt(p50, 1)),\(fmt(p99, 1))")
            if let dir = dumpIDs {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try VecsFile.writeIvecs("\(dir)/ef\(ef).ivecs", rows: found)
            }
        }
    }
}

private func fmt(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }

/// Resident set size from /proc/self/statm (Linux).
private func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
