"""Write endpoints (POST/PUT/DELETE) of the emulated API, one module per resource family.

Status codes follow the spec: 201 + ``Location`` for creations (repository POST: 200), 200 for
updates, 204 with an empty body for deletes, 409 for conflicts, 400 with ``fields`` for invalid
bodies, 403 naming the missing OAuth scope. Every change is visible to later GETs and BBQL.
Work the API finishes after answering (pipelines that run, asynchronous merges) lives in
:mod:`.pipeline_runs` and :mod:`.merge_tasks`, advanced by the emulator clock.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from .commit_actions import commit_action_routes
from .environments import environment_routes
from .forks import fork_routes
from .permissions import permission_routes
from .pipelines import pipeline_routes
from .pr_comments import pr_comment_routes
from .projects import project_routes
from .pullrequests import pull_request_routes
from .refs import ref_routes
from .repositories import repository_routes
from .schedules import schedule_routes
from .settings import settings_routes
from .statuses import status_routes
from .webhooks import webhook_routes


def write_routes(store: Any) -> list[BaseRoute]:
    """Every write route for ``store``; paths are prefixed with ``/2.0``."""
    return [
        *project_routes(store),
        *repository_routes(store),
        *ref_routes(store),
        *pull_request_routes(store),
        *pr_comment_routes(store),
        *status_routes(store),
        *webhook_routes(store),
        *pipeline_routes(store),
        *environment_routes(store),
        *schedule_routes(store),
        *settings_routes(store),
        *permission_routes(store),
        *fork_routes(store),
        *commit_action_routes(store),
    ]
