"""Allow ``python -m bitbucket_sql`` as an alias of the ``bbsql`` command."""

from bitbucket_sql.cli.main import main

if __name__ == "__main__":
    main()
