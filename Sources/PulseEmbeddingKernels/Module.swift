// PulseEmbeddingKernels: module folder. See docs/architecture.md for what lives here.
