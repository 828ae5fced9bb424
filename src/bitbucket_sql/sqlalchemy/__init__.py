"""A SQLAlchemy 2 dialect for bitbucket-sql: ``create_engine("bitbucket://user:token@host/workspace")``.

Registered as the ``bitbucket`` (and ``bitbucket+bbsql``) entry point of ``sqlalchemy.dialects``,
so importing this package is never needed to connect; it needs the ``sqlalchemy`` extra
(``pip install "bitbucket-sql[sqlalchemy]"``). See docs/sqlalchemy.md.
"""

from __future__ import annotations

from bitbucket_sql.sqlalchemy.dialect import BitbucketDialect
from bitbucket_sql.sqlalchemy.url import connection_properties, url_for

__all__ = ["BitbucketDialect", "connection_properties", "url_for"]
