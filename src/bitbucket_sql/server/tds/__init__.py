"""``bbsql serve``'s SQL Server listener: TDS 7.4 for SQL Server clients and BI connectors.

The same users, rights, virtual databases and engine as the PostgreSQL listener; only the wire
protocol and the SQL dialect differ. One module per job:

- :mod:`.packets`: the 8-byte packet header, message assembly and splitting;
- :mod:`.channel`: the byte stream under the packets, clear or TLS (TLS handshake inside PRELOGIN packets);
- :mod:`.prelogin`, :mod:`.login7`: the two messages before authentication;
- :mod:`.tokens`: the server's token stream (COLMETADATA, ROW/NBCROW, DONE*, ERROR/INFO, ENVCHANGE, LOGINACK...);
- :mod:`.datatypes`: TDS types: result columns out, RPC parameters in;
- :mod:`.rpc`: RPC requests (``sp_executesql``, ``sp_prepare``/``sp_execute``...) decoded;
- :mod:`.tsql`: T-SQL in, DuckDB's dialect out (sqlglot's ``tsql`` reader);
- :mod:`.metadata`: ``sys.*``, ``INFORMATION_SCHEMA``, ``sp_tables``/``sp_columns``... answered locally;
- :mod:`.session`: one login's SQL; :mod:`.procedures`: the procedures it answers; :mod:`.results`:
  what it answers (result sets, events, errors with SQL Server's numbers);
- :mod:`.connection`: one client; :mod:`.listener`: the socket.

See docs/server.md ("SQL Server protocol (TDS)").
"""
