import ArgumentParser
import Foundation
import PulseEmbeddings

/// Throughput of `embed(batch)` for texts of an exact token length.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Texts/second for inputs of given token lengths and thread counts.")
    @Option(help: "Comma-separated token lengths (including [CLS]/[SEP]).") var tokens = "16,128,256"
    @Option(help: "Comma-separated thread counts (0 = all cores).") var threads = "1,0"
    @Option(help: "Minimum seconds per measurement.") var seconds = 3.0
    @Option(help: "Texts per embed(batch) call.") var batch = 32

    func run() throws {
        let model = try loadModel()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("# pulse-embed bench: model loaded, peak RSS \(peakRSSMegabytes()) MB, \(cores) cores, kernels \(LocalEmbeddingModel.kernelInstructionSet)")
        for length in tokens.split(separator: ",").compactMap({ Int($0) }) {
            let texts = benchTexts(tokens: length, count: batch)
            let counts = Set(texts.map { model.tokenizer.encode($0).count })
            guard counts == [length] else { throw ValidationError("bench texts have \(counts) tokens, wanted \(length)") }
            for requested in threads.split(separator: ",").compactMap({ Int($0) }) {
                let workers = requested == 0 ? cores : requested
                _ = model.embed(texts, threads: workers)  // warm-up
                var done = 0
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = processCPUSeconds()
                var elapsed = 0.0
                repeat {
                    _ = model.embed(texts, threads: workers)
                    done += texts.count
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                } while elapsed < seconds
                let rate = Double(done) / elapsed
                let cpuMilliseconds = (processCPUSeconds() - cpuStart) * 1000 / Double(done)
                print(
                    String(
                        format: "swift tokens=%d threads=%d texts_per_s=%.1f cpu_ms_per_text=%.2f",
                        length, workers, rate, cpuMilliseconds))
            }
        }
        print("# peak RSS \(peakRSSMegabytes()) MB")
    }
}

/// `count` texts of exactly `tokens` tokens: words that are single WordPiece tokens,
/// rotated so texts differ. bench/embeddings/pytorch_bench.py builds the same texts.
func benchTexts(tokens: Int, count: Int) -> [String] {
    let words = "the quick brown fox jumps over a lazy dog while people watch from their window".split(separator: " ")
    return (0..<count).map { index in
        (0..<(tokens - 2)).map { words[($0 + index) % words.count] }.joined(separator: " ")
    }
}

/// VmHWM from /proc/self/status, in MB.
func peakRSSMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = Int(line.split(separator: " ")[1])
    else { return -1 }
    return kilobytes / 1024
}

/// CPU time used by the whole process (all threads), in seconds: on a shared, loaded box
/// this is steadier than wall time.
func processCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
