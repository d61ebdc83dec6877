import ArgumentParser
import Foundation
import PulseVector

/// `pulse-vector persist`: builds an index from fvecs, saves it, loads it back and reports the
/// save time and three load times (wall and process CPU), checking that the loaded index answers exactly like the original.
struct Persist: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time save and load of an index.")

    @Option(help: "Base vectors (.fvecs).") var base: String
    @Option(help: "Index file to write.") var out: String
    @Option var m: Int = 16
    @Option(name: .customLong("ef-construction")) var efConstruction: Int = 200
    @Option(help: "Build threads.") var threads: Int = 1

    func run() throws {
        let (values, dim, n) = try VecsFile.read(base, as: Float.self)
        let index = try HNSWIndex(parameters: HNSWParameters(dimension: dim, m: m, efConstruction: efConstruction))
        index.reserve(capacity: n)
        try index.add(ids: (0..<UInt64(n)).map { $0 }, vectors: values, threads: threads)
        let t0 = Date()
        try index.save(to: out)
        let saved = Date().timeIntervalSince(t0)
        // Three loads (the page cache is warm after the save): wall and process CPU of each.
        var loads: [(wall: Double, cpu: Double)] = []
        var loaded = index
        for _ in 0..<3 {
            let t1 = monotonicSeconds()
            let c1 = cpuSeconds(CLOCK_PROCESS_CPUTIME_ID)
            loaded = try HNSWIndex.load(from: out)
            loads.append((monotonicSeconds() - t1, cpuSeconds(CLOCK_PROCESS_CPUTIME_ID) - c1))
        }
        for row in stride(from: 0, to: n, by: max(1, n / 100)) {
            let q = Array(values[row * dim..<(row + 1) * dim])
            guard try loaded.search(q, k: 10) == index.search(q, k: 10) else {
                throw ValidationError("loaded index answers differently for row \(row)")
            }
        }
        let size = (try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
        print("n,\(n)")
        print("dim,\(dim)")
        print("file_bytes,\(size)")
        print("save_seconds,\(String(format: "%.3f", saved))")
        print("load_seconds,\(loads.map { String(format: "%.3f", $0.wall) }.joined(separator: ","))")
        print("load_cpu_seconds,\(loads.map { String(format: "%.3f", $0.cpu) }.joined(separator: ","))")
    }
}
