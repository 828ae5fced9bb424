"""``bbsql dashboard``: a Dash web app over the metrics of :mod:`bitbucket_sql.metrics`.

Needs the ``dashboard`` extra (``pip install 'bitbucket-sql[dashboard]'``). ``create_app(source)``
builds the app over a live or sync-file source; ``running_dashboard(app)`` serves it on loopback.
"""

from bitbucket_sql.dashboard.app import create_app, records_to_csv
from bitbucket_sql.dashboard.server import DashboardServer, running_dashboard

__all__ = ["DashboardServer", "create_app", "records_to_csv", "running_dashboard"]
