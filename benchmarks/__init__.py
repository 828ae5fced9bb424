"""Benchmarks for bitbucket-sql: requests and time per query against the emulator.

Run with ``python -m benchmarks.run`` (see docs/benchmarks.md). Not part of the test suite;
``tests/benchmarks`` only checks that the harness works on the ``tiny`` scale.
"""
