// Shared test support: throwaway PostgreSQL clusters, free ports, live HTTP clients.
import PulseCore
