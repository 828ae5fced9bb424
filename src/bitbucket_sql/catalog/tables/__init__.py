"""One module per table, each exporting ``TABLE`` (discovered by :mod:`..registry`)."""
