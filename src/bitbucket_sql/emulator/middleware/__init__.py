"""The emulator's pure-ASGI middleware (no BaseHTTPMiddleware, so requests never serialise).

Order, outermost first: trailing-slash normalisation, statistics, authentication, read scopes,
rate limiting, latency, faults. Statistics come first so every request that reached the server
is counted, whatever happens to it.
Import the submodules directly; this package keeps no re-exports so ``auth`` can use
``controls`` without an import cycle.
"""
