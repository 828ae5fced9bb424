"""The vocabulary of generated data: workspace and repository catalogues, people's names, files per
language and the words titles and comments are made of.

Kept apart from the generator's logic so the data's look can be changed without reading it.
"""

from __future__ import annotations

import random

WORKSPACE_NAMES = {"acme": "Acme Corporation", "globex": "Globex", "initech": "Initech"}

PROJECTS: dict[str, list[tuple[str, str]]] = {
    "acme": [
        ("API", "Backend APIs"),
        ("WEB", "Web front ends"),
        ("MOB", "Mobile"),
        ("OPS", "Infrastructure"),
        ("DATA", "Data platform"),
    ],
    "globex": [("PORTAL", "Customer portal"), ("CORE", "Core services")],
    "initech": [("TPS", "TPS reporting"), ("OSS", "Open source")],
}

# (slug, language, project index, description)
REPO_CATALOG: dict[str, list[tuple[str, str, int, str]]] = {
    "acme": [
        ("api", "python", 0, "Public REST API"),
        ("web", "typescript", 1, "Customer web app"),
        ("mobile-app", "kotlin", 2, "Android and iOS app"),
        ("infra", "go", 3, "Terraform and deployment tooling"),
        ("data-pipeline", "python", 4, "Batch and streaming jobs"),
        ("auth-service", "java", 0, "Login, sessions and tokens"),
        ("billing", "java", 0, "Invoices and payments"),
        ("design-system", "typescript", 1, "Shared UI components"),
        ("docs", "markdown", 1, "Developer documentation"),
        ("sdk-go", "go", 0, "Go client library"),
        ("notifications", "python", 0, "E-mail and push notifications"),
        ("search", "java", 0, "Search indexer and query service"),
        ("analytics", "python", 4, "Dashboards and metrics"),
        ("gateway", "go", 3, "Edge gateway"),
        ("cli", "rust", 3, "Command line tools"),
    ],
    "globex": [
        ("portal", "javascript", 0, "Customer portal"),
        ("api", "python", 1, "Fork of acme/api"),
        ("inventory", "java", 1, "Inventory service"),
        ("checkout", "typescript", 0, "Checkout flow"),
    ],
    "initech": [
        ("tps-reports", "c#", 0, "TPS report generator"),
        ("open-tools", "python", 1, "Open source helpers"),
    ],
}

# Public repositories (everything else is private); forks: (workspace, slug) -> parent full name.
PUBLIC = {("acme", "web"), ("acme", "docs"), ("initech", "open-tools")}
FORKS = {("globex", "api"): "acme/api"}

FIRST_NAMES = [
    "Ann",
    "Bob",
    "Chen",
    "Dana",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jules",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
]
LAST_NAMES = [
    "Lee",
    "Smith",
    "Garcia",
    "Kowalski",
    "Okafor",
    "Nakamura",
    "Silva",
    "Novak",
    "Haddad",
    "Berg",
    "Rossi",
    "Mensah",
    "Patel",
    "Dubois",
    "Larsen",
    "Moreau",
]

FILES_BY_LANGUAGE = {
    "python": [
        "src/app/__init__.py",
        "src/app/main.py",
        "src/app/models.py",
        "src/app/views.py",
        "src/app/db.py",
        "tests/test_views.py",
        "tests/test_models.py",
        "pyproject.toml",
        "README.md",
    ],
    "typescript": [
        "src/index.ts",
        "src/App.tsx",
        "src/api/client.ts",
        "src/components/Button.tsx",
        "src/components/Table.tsx",
        "package.json",
        "tsconfig.json",
        "README.md",
    ],
    "javascript": [
        "src/index.js",
        "src/app.js",
        "src/routes.js",
        "src/views/home.js",
        "package.json",
        "README.md",
    ],
    "java": [
        "src/main/java/com/acme/App.java",
        "src/main/java/com/acme/Service.java",
        "src/main/java/com/acme/Repository.java",
        "src/test/java/com/acme/AppTest.java",
        "pom.xml",
        "README.md",
    ],
    "go": [
        "cmd/server/main.go",
        "internal/config/config.go",
        "internal/handler/handler.go",
        "internal/store/store.go",
        "go.mod",
        "README.md",
    ],
    "kotlin": [
        "app/src/main/kotlin/MainActivity.kt",
        "app/src/main/kotlin/Api.kt",
        "app/build.gradle.kts",
        "ios/App/AppDelegate.swift",
        "README.md",
    ],
    "rust": ["src/main.rs", "src/lib.rs", "src/commands.rs", "Cargo.toml", "README.md"],
    "c#": [
        "src/Reports/Report.cs",
        "src/Reports/Cover.cs",
        "tests/ReportTests.cs",
        "Reports.sln",
        "README.md",
    ],
    "markdown": ["index.md", "guides/getting-started.md", "guides/auth.md", "reference/api.md", "mkdocs.yml"],
}

VERBS = [
    "Add",
    "Fix",
    "Refactor",
    "Update",
    "Remove",
    "Improve",
    "Document",
    "Speed up",
    "Simplify",
    "Handle",
]
TOPICS = [
    "login flow",
    "pagination",
    "rate limiting",
    "error messages",
    "unicode names",
    "caching",
    "retries",
    "CSV export",
    "dark mode",
    "search ranking",
    "webhooks",
    "date parsing",
    "logging",
    "metrics",
    "timeouts",
    "null handling",
    "config loading",
    "permissions check",
    "build script",
    "dependencies",
]
COMMENTS = [
    "LGTM",
    "Could we add a test for this?",
    "Nit: naming.",
    "Why not reuse the helper?",
    "This breaks on empty input.",
    "Nice cleanup!",
    "Please rebase on main.",
    "Done.",
    "Good catch, fixed.",
    "Can you explain this change?",
    "Works for me locally.",
    "Unicode check: naïve café ✓",
]
STEP_NAMES = ["Build", "Test", "Lint", "Deploy to staging"]
HOOK_EVENTS = [
    "repo:push",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
]


def pick_title(rng: random.Random) -> str:
    """A commit or pull request title such as "Fix pagination"."""
    return f"{rng.choice(VERBS)} {rng.choice(TOPICS)}"
