"""The ``bbsql`` command line: one module per subcommand, loaded only when used."""
