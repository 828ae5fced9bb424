"""Who is calling: the identity the authentication middleware attaches to each request.

Read routes find it on ``request.state.principal`` and use it to decide visibility
(anonymous callers see public repositories only; a workspace access token sees only its
workspace). It lives in its own module so routes can import it without importing the
authentication machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

PrincipalKind = Literal["anonymous", "api_token", "access_token", "oauth"]

# Classic OAuth scopes imply others (digest section 6): a write scope implies its read scope,
# ``pullrequest`` implies ``repository``, ``project`` implies ``repository``. ``repository:admin``
# deliberately does not imply read, as on Bitbucket.
_IMPLIES: dict[str, tuple[str, ...]] = {
    "account:write": ("account",),
    "issue:write": ("issue",),
    "pipeline:write": ("pipeline",),
    "pipeline:variable": ("pipeline", "pipeline:write"),
    "project": ("repository",),
    "project:admin": ("project", "project:write"),
    "project:write": ("project",),
    "pullrequest": ("repository",),
    "pullrequest:write": ("pullrequest", "repository:write"),
    "repository:write": ("repository",),
    "runner:write": ("runner",),
    "snippet:write": ("snippet",),
}

ALL_SCOPES: frozenset[str] = frozenset(
    [
        "account",
        "account:write",
        "email",
        "issue",
        "issue:write",
        "pipeline",
        "pipeline:write",
        "pipeline:variable",
        "project",
        "project:admin",
        "pullrequest",
        "pullrequest:write",
        "repository",
        "repository:write",
        "repository:admin",
        "repository:delete",
        "runner",
        "runner:write",
        "snippet",
        "snippet:write",
        "webhook",
        "wiki",
    ]
)

READ_SCOPES: frozenset[str] = frozenset(
    ["account", "email", "issue", "pipeline", "project", "pullrequest", "repository", "runner", "snippet"]
)


def implied_scopes(scopes: frozenset[str]) -> frozenset[str]:
    """The closure of ``scopes`` under the classic implication rules."""
    result = set(scopes)
    pending = list(scopes)
    while pending:
        for implied in _IMPLIES.get(pending.pop(), ()):
            if implied not in result:
                result.add(implied)
                pending.append(implied)
    return frozenset(result)


@dataclass(frozen=True)
class Principal:
    """An authenticated (or anonymous) caller.

    ``workspaces`` is ``None`` when the caller may see every workspace its user belongs to
    (API tokens, OAuth); a workspace/repository access token is confined to the listed slugs.
    ``user_uuid`` is ``None`` for anonymous callers and for access tokens without a user.
    """

    kind: PrincipalKind
    user_uuid: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    workspaces: frozenset[str] | None = None
    name: str = "anonymous"

    @property
    def is_anonymous(self) -> bool:
        return self.kind == "anonymous"

    def has_scope(self, scope: str) -> bool:
        """True when the caller holds ``scope`` directly or through a scope that implies it."""
        return scope in implied_scopes(self.scopes)

    @property
    def identity(self) -> str:
        """A stable key for per-credential accounting (rate limits); never a secret."""
        return f"{self.kind}:{self.name}"


ANONYMOUS = Principal(kind="anonymous")
