// Which instruction set the kernels were compiled for (chosen in Package.swift from the
// build machine's /proc/cpuinfo). Callers check it against the CPU they run on before
// touching a kernel, so a binary copied to an older CPU fails with an error, not SIGILL.

/// True when this module was built with `-target-cpu haswell` (AVX2 + FMA).
#if PULSE_FMA
    package let kernelsRequireAVX2FMA = true
#else
    package let kernelsRequireAVX2FMA = false
#endif

/// A short label for logs and benchmarks.
package var kernelInstructionSet: String { kernelsRequireAVX2FMA ? "AVX2+FMA (haswell)" : "generic x86-64 / portable SIMD" }
