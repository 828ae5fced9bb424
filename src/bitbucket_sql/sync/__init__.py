"""``bbsql sync``: incremental, resumable copies of Bitbucket tables.

The extraction core (:mod:`.extract`, and the modules it uses) imports only the API client and
the catalog, so it also runs where another DuckDB is installed (the Fivetran Connector SDK);
the loading side (:mod:`.load`, dlt) and the CLI live apart. See docs/sync.md.
"""
