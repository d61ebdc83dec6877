import Foundation

func monotonicSeconds() -> Double { cpuSeconds(CLOCK_MONOTONIC) }

func cpuSeconds(_ clock: clockid_t) -> Double {
    var ts = timespec()
    clock_gettime(clock, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
