import PulseCore

// Composition root: filled in by the platform work (issue 2).
print("PulseGatewayService")
