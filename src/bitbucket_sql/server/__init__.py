"""``bbsql serve``: a PostgreSQL-protocol (v3) server in front of the engine, for psql, BI tools and drivers.

The protocol layer (listener, connection, protocol, codec, auth, tls, config) speaks the wire
protocol; the SQL front (session, pg_catalog, pgtypes, translate) answers the SQL. See
docs/server.md for users and docs/architecture.md for why the protocol layer is our own.
"""
