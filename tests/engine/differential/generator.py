"""Seeded random SQL over the differential data set.

A query is a list of pieces; a :class:`Piece` has its SQL, an equivalent SQL the engine cannot
push down (``(col || '')`` instead of ``col``, a struct of named columns instead of a whole-row
reference), and the tags of the bug classes it may exercise. Rendering with some tags
*neutralized* gives the same query with those pieces kept local: when that makes a mismatch go
away, the mismatch is attributed to those classes (see ``compare.attribute``).

Every random choice comes from one ``random.Random(seed)``, so ``(seed, index)`` names a query.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .dataset import TRICKY
from .schema import SPECS, TABLES, Catalog, ColumnInfo, TableSpec

#: Bug classes a piece may exercise (issue 9); see compare.KNOWN_OPEN for the ones still open.
NEGATION = "null-semantics"  # !=, <>, NOT IN, NOT (...), IN (.., NULL) where NULL/missing fields matter
LIKE = "like-case-folding"  # LIKE/ILIKE pushed as ~
STRING_RANGE = "string-range"  # <, <=, >, >=, BETWEEN on text
TINY_DECIMAL = "tiny-decimal"  # 0.00001 rendered as 1e-05
WHOLE_ROW = "whole-row-reference"  # SELECT p, to_json(p), COLUMNS(...)
UUID_KEY = "uuid-key"  # repository = '{uuid}'
MISSING_KEY = "missing-key"  # repository = 'nope'
CHILD_KEY = "named-child-key"  # pull_request_id = 50 with the repository enumerated
NONINTEGRAL_KEY = "non-integral-key"  # pull_request_id = 52.5
NESTED_KEY = "key-via-join-or-subquery"  # pull_request_id named where its repository comes from a join
JOINED_SLUG = "slug-filter-passed-as-key"  # r.slug = 'X1' joined to p.repository = r.slug

MISSING_REPOSITORIES = ("nope", "API", "web", "{00000000-0000-4000-8000-000000000000}")

_MARKER = re.compile("\x00(\\d+)\x00")

#: Letters whose case mapping or folding differs between Unicode, DuckDB and (plausibly) the API.
FOLDINGS = {"İ": "i", "ı": "I", "ς": "σ", "Σ": "ς", "σ": "Σ", "ß": "SS", "ẞ": "ß", "ſ": "s", "K": "k", "K": "K",
            "é": "é", "ﬁ": "fi", "µ": "μ", "Å": "Å"}


@dataclass(frozen=True)
class Piece:
    """SQL text with a local-only equivalent and the bug classes it touches."""

    sql: str
    neutral: str
    tags: frozenset[str] = frozenset()


Part = str | Piece


@dataclass
class Query:
    """One generated query and how to compare its answers."""

    parts: list[Part]
    #: "total": ORDER BY fixes the order of every row; "keys": only the first ``order_columns``
    #: result columns are ordered (ties allowed); "none": a multiset
    order: str = "none"
    order_columns: int = 0
    limited: bool = False
    #: a key the query names that does not exist: the answer must be an error naming it
    missing_key: str | None = None
    shape: str = ""
    #: also run with MaxRows and check the capped answer (a quarter of the queries)
    check_max_rows: bool = False
    #: named keys that exist in no scope the query allows: an error naming one is also a right answer
    optional_errors: tuple[str, ...] = ()

    #: values of ``?`` parameters by marker number (shared with the generator)
    values: dict[int, str] = field(default_factory=dict)

    def text(self, neutralize: frozenset[str] = frozenset()) -> str:
        return "".join(
            part if isinstance(part, str) else (part.neutral if part.tags & neutralize else part.sql)
            for part in self.parts
        )

    def statement(self, neutralize: frozenset[str] = frozenset()) -> tuple[str, list[str]]:
        """The SQL with ``?`` placeholders and their values, in the order they appear."""
        text = self.text(neutralize)
        params = [self.values[int(number)] for number in _MARKER.findall(text)]
        return _MARKER.sub("?", text), params

    def sql(self, neutralize: frozenset[str] = frozenset()) -> str:
        """The SQL with every parameter written as a literal (for reports and reruns)."""
        return _MARKER.sub(lambda m: Generator.text_literal(self.values[int(m.group(1))]), self.text(neutralize))

    @property
    def tags(self) -> frozenset[str]:
        found: set[str] = set()
        for part in self.parts:
            if isinstance(part, Piece):
                found |= part.tags
        return frozenset(found)


@dataclass
class Generator:
    """Random queries over ``catalog``; ``rng`` decides everything."""

    catalog: Catalog
    rng: random.Random
    values: dict[int, str] = field(default_factory=dict)
    optional_errors: list[str] = field(default_factory=list)
    allowed_repositories: list[str] = field(default_factory=list)  # those the current key predicate allows
    in_join: bool = False  # the current query joins, or has a subquery

    def text_or_parameter(self, value: str) -> str:
        """A string literal, or (one time in six) a ``?`` parameter bound to the same value."""
        if self.rng.random() < 1 / 6:
            number = len(self.values)
            self.values[number] = value
            return f"\x00{number}\x00"
        return self.text_literal(value)

    # ------------------------------------------------------------------ literals
    @staticmethod
    def text_literal(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def text_value(self, info: ColumnInfo) -> str:
        """A stored value, a variant of one (case, spaces, fragment) or a tricky constant."""
        rng = self.rng
        pool = info.values or [""]
        value = str(rng.choice(pool))
        roll = rng.random()
        if roll < 0.45:
            return value
        if roll < 0.6:
            return rng.choice((value.upper(), value.lower(), value.casefold(), value.swapcase(), _refold(value)))
        if roll < 0.7:
            return rng.choice((value + " ", value.rstrip(), " " + value))
        if roll < 0.85 and len(value) > 1:
            start = rng.randrange(len(value))
            return value[start : rng.randrange(start + 1, len(value) + 1)]
        return rng.choice((*TRICKY, "", "nope"))

    def like_pattern(self, info: ColumnInfo, case_insensitive: bool) -> tuple[str, str]:
        """A LIKE pattern built around a fragment of a stored value, and its ESCAPE clause."""
        rng = self.rng
        fragment = self.text_value(info)
        if case_insensitive or rng.random() < 0.2:
            fragment = rng.choice((fragment.upper(), fragment.lower(), fragment, fragment.casefold(), _refold(fragment)))
        if fragment and rng.random() < 0.25:
            position = rng.randrange(len(fragment))
            fragment = fragment[:position] + "_" + fragment[position + 1 :]
        escape = ""
        if rng.random() < 0.2:
            fragment = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            escape = " ESCAPE '\\'"
        shape = rng.choice(("%{}%", "{}%", "%{}", "{}", "%{}%"))
        return shape.format(fragment), escape

    def int_literal(self, info: ColumnInfo) -> tuple[str, bool]:
        """An integer near stored values, sometimes as a tiny or fractional decimal (tagged)."""
        rng = self.rng
        base = int(rng.choice(info.values or [0]))
        roll = rng.random()
        if roll < 0.6:
            return str(base + rng.choice((-1, 0, 0, 1))), False
        if roll < 0.75:
            return f"{base}.5", False
        tiny = rng.choice(("0.00001", "0.000001", "1e-05", "1e-7", "-0.00001", "0.0000001"))
        if tiny.startswith("-"):
            return f"({base} - {tiny[1:]})" if rng.random() < 0.3 else tiny, True
        return (f"{base} + {tiny}" if rng.random() < 0.3 else tiny), True

    def ts_literal(self, info: ColumnInfo) -> str:
        """A stored instant (exactly, shifted, in another offset or as a date) as a literal."""
        rng = self.rng
        value: datetime = rng.choice(info.values) if info.values else datetime(2025, 3, 1)
        roll = rng.random()
        if roll < 0.35:
            return f"'{value.isoformat()}'"
        if roll < 0.55:
            shifted = value + timedelta(seconds=rng.choice((-1, 1, -3600, 86400)))
            return f"TIMESTAMPTZ '{shifted.isoformat()}'"
        if roll < 0.75:
            offset = value.astimezone(_zone(rng.choice((2, -5, 9))))
            return f"'{offset.isoformat()}'"
        return f"DATE '{value.date().isoformat()}'"

    def literal(self, info: ColumnInfo) -> tuple[str, frozenset[str]]:
        if info.kind == "text":
            return self.text_or_parameter(self.text_value(info)), frozenset()
        if info.kind == "int":
            text, tiny = self.int_literal(info)
            return text, frozenset({TINY_DECIMAL}) if tiny else frozenset()
        if info.kind == "ts":
            return self.ts_literal(info), frozenset()
        return self.rng.choice(("true", "false")), frozenset()

    # ------------------------------------------------------------------ predicates
    def atom(self, spec: TableSpec, qualifier: str, negated: bool) -> Piece:
        """One comparison on a random column of ``spec``."""
        rng = self.rng
        infos = self.catalog.columns[spec.name]
        name = rng.choice([c for c in spec.columns if c != "repository"] or list(spec.columns))
        info = infos[name]
        ref = f"{qualifier}.{name}" if qualifier else name
        neutral_ref = _neutral(ref, info.kind)
        tags: set[str] = set()
        negative = negated
        roll = rng.random()
        if roll < 0.12:
            op = rng.choice(("IS NULL", "IS NOT NULL"))
            sql, neutral = f"{ref} {op}", f"{neutral_ref} {op}"
            negative = negative != (op == "IS NOT NULL")
        elif info.kind == "bool":
            choice = rng.choice(("= true", "= false", "!= true", "", "IS NOT DISTINCT FROM false"))
            if choice == "":
                sql, neutral = ref, neutral_ref
            else:
                sql, neutral = f"{ref} {choice}", f"{neutral_ref} {choice}"
            negative = negative != choice.startswith("!=")
        elif info.kind == "text" and roll < 0.4:
            insensitive = rng.random() < 0.4
            pattern, escape = self.like_pattern(info, insensitive)
            op = ("NOT " if rng.random() < 0.25 else "") + ("ILIKE" if insensitive else "LIKE")
            negative = negative != op.startswith("NOT")
            literal = self.text_or_parameter(pattern)
            sql, neutral = f"{ref} {op} {literal}{escape}", f"{neutral_ref} {op} {literal}{escape}"
            tags.add(LIKE)
        elif roll < 0.55:
            values = []
            literal_tags: set[str] = set()
            for _ in range(rng.randrange(1, 5) if rng.random() < 0.9 else rng.randrange(40, 70)):
                text, extra = self.literal(info)
                values.append(text)
                literal_tags |= extra
            if rng.random() < 0.1:
                values.append("NULL")
                tags.add(NEGATION)
            op = rng.choice(("IN", "IN", "NOT IN"))
            negative = negative != (op == "NOT IN")
            listed = ", ".join(values)
            sql, neutral = f"{ref} {op} ({listed})", f"{neutral_ref} {op} ({listed})"
            tags |= literal_tags
        elif roll < 0.62 and info.kind != "bool":
            low, low_tags = self.literal(info)
            high, high_tags = self.literal(info)
            between = "NOT BETWEEN" if rng.random() < 0.3 else "BETWEEN"
            negative = negative != (between == "NOT BETWEEN")
            sql = f"{ref} {between} {low} AND {high}"
            neutral = f"{neutral_ref} {between} {low} AND {high}"
            tags |= low_tags | high_tags
            if info.kind == "text":
                tags.add(STRING_RANGE)
        elif roll < 0.7:
            sql, neutral, negative_here = self.local_only_atom(spec, qualifier, info, ref, neutral_ref)
            negative = negative != negative_here
        else:
            op = rng.choice(("=", "=", "!=", "<>", "<", "<=", ">", ">="))
            text, extra = self.literal(info)
            if rng.random() < 0.1:
                sql, neutral = f"{text} {_flip(op)} {ref}", f"{text} {_flip(op)} {neutral_ref}"
            else:
                sql, neutral = f"{ref} {op} {text}", f"{neutral_ref} {op} {text}"
            tags |= extra
            negative = negative != (op in ("!=", "<>"))
            if info.kind == "text" and op in ("<", "<=", ">", ">="):
                tags.add(STRING_RANGE)
        if negative and info.nullable:
            tags.add(NEGATION)
        if self.in_join and spec.name == "pull_request_comments" and name == "pull_request_id":
            tags.add(NESTED_KEY)
        if spec.name == "pull_request_comments" and name == "pull_request_id":
            # a path key: under a named repository that lacks it, an id may be an error naming it
            allowed = {i for slug in self.allowed_repositories for i in self.catalog.pull_request_ids.get(slug, ())}
            self.optional_errors.extend(v for v in re.findall(r"(?<![\w.])\d+(?![\w.])", sql) if int(v) not in allowed)
        if self.in_join and spec.name == "repositories" and name == "slug":
            tags.add(JOINED_SLUG)
        return Piece(sql, neutral, frozenset(tags))

    def local_only_atom(
        self, spec: TableSpec, qualifier: str, info: ColumnInfo, ref: str, neutral_ref: str
    ) -> tuple[str, str, bool]:
        """Predicates no API can evaluate (functions, two columns, null-safe comparisons): they
        must stay local, and must not stop other conjuncts from being pushed correctly."""
        rng = self.rng
        literal, _ = self.literal(info)
        length = rng.randrange(0, 30)
        same_kind = [c for c in spec.columns if self.catalog.columns[spec.name][c].kind == info.kind and c != info.name]
        choices: list[tuple[str, str, bool]] = [
            (f"{ref} IS DISTINCT FROM {literal}", f"{neutral_ref} IS DISTINCT FROM {literal}", True),
            (f"{ref} IS NOT DISTINCT FROM {literal}", f"{neutral_ref} IS NOT DISTINCT FROM {literal}", False),
        ]
        if info.kind == "text":
            choices += [
                (f"lower({ref}) = lower({literal})", f"lower({neutral_ref}) = lower({literal})", False),
                (f"upper({ref}) LIKE (upper({literal}) || '%')", f"upper({neutral_ref}) LIKE (upper({literal}) || '%')", False),
                (f"coalesce({ref}, '') = {literal}", f"coalesce({neutral_ref}, '') = {literal}", False),
                (f"trim({ref}) = trim({literal})", f"trim({neutral_ref}) = trim({literal})", False),
                (f"length({ref}) > {length}", f"length({neutral_ref}) > {length}", False),
                (f"CASE WHEN {ref} IS NULL THEN 'none' ELSE {ref} END = {literal}",
                 f"CASE WHEN {neutral_ref} IS NULL THEN 'none' ELSE {neutral_ref} END = {literal}", False),
            ]
        if same_kind and info.kind != "bool":
            other = f"{qualifier}.{rng.choice(same_kind)}"
            op = rng.choice(("=", "<>", "<", ">="))
            choices.append((f"{ref} {op} {other}", f"{neutral_ref} {op} {other}", op == "<>"))
        sql, neutral, negative = rng.choice(choices)
        return sql, neutral, negative

    def predicate(self, spec: TableSpec, qualifier: str, depth: int = 0, negated: bool = False) -> list[Part]:
        """A random AND/OR/NOT tree of atoms (as pieces joined by SQL text)."""
        rng = self.rng
        roll = rng.random()
        if depth >= 2 or roll < 0.45:
            return [self.atom(spec, qualifier, negated)]
        if roll < 0.6:
            return ["NOT (", *self.predicate(spec, qualifier, depth + 1, not negated), ")"]
        joiner = " AND " if roll < 0.82 else " OR "
        parts: list[Part] = ["("]
        for index in range(rng.randrange(2, 4)):
            if index:
                parts.append(joiner)
            parts.extend(self.predicate(spec, qualifier, depth + 1, negated))
        parts.append(")")
        return parts

    def key_predicate(self, qualifier: str) -> tuple[Piece, str | None]:
        """A predicate on the repository key: existing slugs, a UUID, one that does not exist."""
        rng = self.rng
        ref = f"{qualifier}.repository" if qualifier else "repository"
        neutral_ref = f"({ref} || '')"
        repos = self.catalog.repositories
        roll = rng.random()
        missing: str | None = None
        tags: set[str] = set()
        values: list[str]
        if roll < 0.35:
            values = [rng.choice(repos)]
        elif roll < 0.6:
            values = rng.sample(repos, rng.randrange(2, 4))
        elif roll < 0.75:
            slug = rng.choice(repos)
            values = [self.catalog.repository_uuids[slug]]
            tags.add(UUID_KEY)
        else:
            missing = rng.choice(MISSING_REPOSITORIES)
            values = [missing] if rng.random() < 0.5 else [rng.choice(repos), missing]
            tags.add(MISSING_KEY)
        self.allowed_repositories = [value for value in values if value in repos]
        listed = ", ".join(self.text_or_parameter(value) for value in values)
        if len(values) == 1 and rng.random() < 0.7:
            return Piece(f"{ref} = {listed}", f"{neutral_ref} = {listed}", frozenset(tags)), missing
        return Piece(f"{ref} IN ({listed})", f"{neutral_ref} IN ({listed})", frozenset(tags)), missing

    def child_key_predicate(self, qualifier: str) -> Piece:
        """``pull_request_id`` named: ids of some repositories only, of none, or not integers."""
        rng = self.rng
        ref = f"{qualifier}.pull_request_id"
        known = sorted({i for ids in self.catalog.pull_request_ids.values() for i in ids})
        if rng.random() < 0.2:
            values = [rng.choice(("52.5", "48.00001", "1.5"))]
            tags = frozenset({NONINTEGRAL_KEY})
        else:
            values = [str(rng.choice(known + [0, 999])) for _ in range(rng.randrange(1, 3))]
            tags = frozenset({CHILD_KEY})
            allowed = {i for slug in self.allowed_repositories for i in self.catalog.pull_request_ids.get(slug, ())}
            self.optional_errors.extend(value for value in values if int(value) not in allowed)
        if self.in_join:
            tags |= {NESTED_KEY}
        listed = ", ".join(values)
        if len(values) == 1:
            return Piece(f"{ref} = {listed}", f"({ref} + 0) = {listed}", tags)
        return Piece(f"{ref} IN ({listed})", f"({ref} + 0) IN ({listed})", tags)

    def where(self, spec: TableSpec, qualifier: str, *, keys: bool = True) -> tuple[list[Part], str | None]:
        """``WHERE`` parts for one table: a predicate tree, sometimes with a key conjunct."""
        parts: list[Part] = []
        missing = None
        self.allowed_repositories = list(self.catalog.repositories)
        if keys and spec.repository_scoped and self.rng.random() < 0.3:
            key, missing = self.key_predicate(qualifier)
            parts.append(key)
        if keys and spec.name == "pull_request_comments" and self.rng.random() < 0.3:
            if parts:
                parts.append(" AND ")
            parts.append(self.child_key_predicate(qualifier))
        if self.rng.random() < 0.9:
            if parts:
                parts.append(" AND ")
            parts.extend(self.predicate(spec, qualifier))
        return parts, missing

    # ------------------------------------------------------------------ projections and order
    def projection(self, spec: TableSpec, qualifier: str) -> list[Part]:
        """Plain columns, expressions over them and, sometimes, whole-row references."""
        rng = self.rng
        infos = self.catalog.columns[spec.name]
        roll = rng.random()
        if roll < 0.08:
            return [self.whole_row(spec, qualifier)]
        chosen = rng.sample(spec.columns, rng.randrange(1, min(5, len(spec.columns)) + 1))
        items: list[Part] = []
        for name in chosen:
            ref = f"{qualifier}.{name}"
            kind = infos[name].kind
            if kind == "text" and rng.random() < 0.25:
                items.append(rng.choice((f"lower({ref})", f"length({ref})", f"{ref} || '|'", f"upper({ref})",
                                         f"coalesce({ref}, '∅')")))
            elif kind == "int" and rng.random() < 0.25:
                items.append(f"{ref} * 2 + 1")
            else:
                items.append(ref)
        if rng.random() < 0.1:
            items.append(self.whole_row(spec, qualifier))
        joined: list[Part] = []
        for index, item in enumerate(items):
            if index:
                joined.append(", ")
            joined.append(item)
        return joined

    def whole_row(self, spec: TableSpec, qualifier: str) -> Piece:
        """A whole-row reference and its spelled-out equivalent."""
        columns = self.catalog.all_columns[spec.name]
        struct = "struct_pack(" + ", ".join(f"\"{c}\" := {qualifier}.\"{c}\"" for c in columns) + ")"
        roll = self.rng.random()
        if roll < 0.4:
            return Piece(qualifier, struct, frozenset({WHOLE_ROW}))
        if roll < 0.7:
            return Piece(f"to_json({qualifier})", f"to_json({struct})", frozenset({WHOLE_ROW}))
        picked = self.rng.sample(spec.columns, 2)
        regex = "^(" + "|".join(picked) + ")$"
        spelled = ", ".join(f"{qualifier}.{c}" for c in columns if c in picked)
        return Piece(f"COLUMNS('{regex}')", spelled, frozenset({WHOLE_ROW}))

    def order_by(self, spec: TableSpec, qualifier: str) -> tuple[list[str], bool]:
        """Sort expressions (a random column, maybe DESC/NULLS) and whether they are total."""
        rng = self.rng
        name = rng.choice(spec.columns)
        direction = rng.choice(("", " DESC", " ASC", " DESC NULLS LAST", " NULLS FIRST"))
        keys = [f"{qualifier}.{name}{direction}"]
        total = rng.random() < 0.7
        if total:
            keys += [f"{qualifier}.{column}" for column in spec.unique if column != name]
        return keys, total

    # ------------------------------------------------------------------ query shapes
    def query(self) -> Query:
        shapes = (
            (self.select_query, 50),
            (self.aggregate_query, 15),
            (self.join_query, 20),
            (self.subquery_query, 8),
            (self.window_query, 7),
            (self.exists_query, 6),
            (self.union_query, 4),
        )
        builder = self.rng.choices([s for s, _ in shapes], [w for _, w in shapes])[0]
        self.optional_errors = []
        self.in_join = builder in (self.join_query, self.exists_query, self.subquery_query)
        query = builder()
        query.values = self.values
        query.optional_errors = tuple(self.optional_errors)
        query.check_max_rows = self.rng.random() < 0.25
        return query

    def pick_table(self) -> TableSpec:
        weights = {"pull_requests": 5, "repositories": 2, "branches": 3, "tags": 1, "commits": 2, "pipelines": 2,
                   "deployments": 1, "pull_request_comments": 1, "projects": 1}
        names = list(weights)
        return SPECS[self.rng.choices(names, [weights[n] for n in names])[0]]

    def select_query(self) -> Query:
        rng = self.rng
        spec = self.pick_table()
        q = spec.alias
        where, missing = self.where(spec, q)
        query = Query([], missing_key=missing, shape=f"select {spec.name}")
        parts: list[Part] = ["SELECT "]
        tail: list[str] = []
        if rng.random() < 0.55:
            keys, total = self.order_by(spec, q)
            if total:
                parts += self.projection(spec, q)
                query.order = "total"
            else:
                sort_expressions = [key.split(" ")[0] for key in keys]
                parts += [", ".join(sort_expressions), ", ", *self.projection(spec, q)]
                query.order, query.order_columns = "keys", len(sort_expressions)
            tail = [" ORDER BY ", ", ".join(keys)]
            if rng.random() < 0.75:
                tail.append(f" LIMIT {rng.choice((0, 1, 2, 3, 5, 10, 11, 25, 51))}")
                query.limited = True
                if rng.random() < 0.25:
                    tail.append(f" OFFSET {rng.choice((1, 3, 10, 49, 50))}")
        else:
            projection = self.projection(spec, q)
            whole = any(isinstance(part, Piece) and WHOLE_ROW in part.tags for part in projection)
            if rng.random() < 0.08 and not whole:
                parts.append("DISTINCT ")
            parts += projection
            if rng.random() < 0.1:
                tail = [f" LIMIT {rng.choice((1000, 100000))}"]  # larger than any answer: no ambiguity
        schema = "acme." if rng.random() < 0.1 else ""
        parts.append(f" FROM {schema}{spec.name} {q}")
        if where:
            parts += [" WHERE ", *where]
        query.parts = [*parts, *tail]
        return query

    def aggregate_query(self) -> Query:
        rng = self.rng
        spec = self.pick_table()
        q = spec.alias
        infos = self.catalog.columns[spec.name]
        where, missing = self.where(spec, q)
        group = rng.choice([c for c in spec.columns if infos[c].kind in ("text", "bool", "int")])
        measure = rng.choice(spec.columns)
        aggregates = [
            "count(*)",
            f"count({q}.{measure})",
            f"min({q}.{measure})",
            f"max({q}.{measure})",
            f"count(DISTINCT {q}.{measure})",
        ]
        numeric = [c for c in spec.columns if infos[c].kind == "int"]
        if numeric:
            aggregates.append(f"sum({q}.{rng.choice(numeric)})")
            aggregates.append(f"round(avg({q}.{rng.choice(numeric)}), 6)")
        texts = [c for c in spec.columns if infos[c].kind == "text"]
        if texts:
            column = rng.choice(texts)
            aggregates.append(f"string_agg({q}.{column}, '¦' ORDER BY {q}.{column})")
        chosen = rng.sample(aggregates, rng.randrange(1, 4))
        grouped = rng.random() < 0.8
        parts: list[Part] = ["SELECT "]
        if grouped:
            parts.append(f"{q}.{group}, ")
        parts.append(", ".join(chosen))
        parts.append(f" FROM {spec.name} {q}")
        if where:
            parts += [" WHERE ", *where]
        query = Query([], missing_key=missing, shape=f"aggregate {spec.name}")
        if grouped:
            parts.append(f" GROUP BY {q}.{group}")
            if rng.random() < 0.3:
                parts.append(" HAVING count(*) > 1")
            if rng.random() < 0.5:
                parts.append(f" ORDER BY {q}.{group} NULLS FIRST")
                query.order = "total"
                if rng.random() < 0.6:
                    parts.append(f" LIMIT {rng.choice((1, 2, 3, 5))}")
                    query.limited = True
        query.parts = parts
        return query

    def join_query(self) -> Query:
        rng = self.rng
        templates = (
            ("pull_requests", "repositories", "p.repository = r.slug"),
            ("pull_request_comments", "pull_requests", "pc.repository = p.repository AND pc.pull_request_id = p.id"),
            ("pull_requests", "branches", "b.repository = p.repository AND b.name = p.source_branch_name"),
            ("pipelines", "branches", "b.repository = pl.repository AND b.name = pl.target_ref_name"),
            ("deployments", "pipelines", "d.repository = pl.repository AND d.release_name LIKE ('#' || pl.build_number || ' %')"),
            ("branches", "commits", "c.repository = b.repository AND c.hash = b.target_hash"),
            ("repositories", "projects", "pj.key = r.project_key"),
        )
        left_name, right_name, condition = rng.choice(templates)
        left, right = SPECS[left_name], SPECS[right_name]
        kind = rng.choice(("JOIN", "JOIN", "LEFT JOIN"))
        left_where, missing = self.where(left, left.alias)
        right_where, _ = self.where(right, right.alias, keys=False)
        projection = [*self.projection(left, left.alias), ", ", *self.projection(right, right.alias)]
        parts: list[Part] = ["SELECT ", *projection, f" FROM {left_name} {left.alias} {kind} {right_name} {right.alias}"]
        parts.append(f" ON {condition}")
        if kind == "LEFT JOIN" and right_where and rng.random() < 0.5:
            parts += [" AND ", *right_where]  # an ON filter of the outer side
            right_where = []
        conjuncts = [w for w in (left_where, right_where) if w]
        if conjuncts:
            parts.append(" WHERE ")
            for index, conjunct in enumerate(conjuncts):
                if index:
                    parts.append(" AND ")
                parts += ["(", *conjunct, ")"]
        query = Query([], missing_key=missing, shape=f"{kind.lower()} {left_name}-{right_name}")
        if rng.random() < 0.4:
            order = [f"{left.alias}.{c}" for c in left.unique] + [f"{right.alias}.{c}" for c in right.unique]
            parts.append(" ORDER BY " + ", ".join(order))
            query.order = "total"
            if rng.random() < 0.6:
                parts.append(f" LIMIT {rng.choice((1, 3, 10))}")
                query.limited = True
        query.parts = parts
        return query

    def subquery_query(self) -> Query:
        rng = self.rng
        child = SPECS[rng.choice(("pull_requests", "branches", "pipelines", "commits"))]
        parent = SPECS["repositories"]
        child_where, missing = self.where(child, child.alias, keys=False)
        parent_where, _ = self.where(parent, parent.alias, keys=False)
        parts: list[Part] = ["SELECT ", *self.projection(child, child.alias), f" FROM {child.name} {child.alias}"]
        parts += [f" WHERE {child.alias}.repository ", rng.choice(("IN", "IN", "NOT IN"))]
        parts += [f" (SELECT {parent.alias}.slug FROM repositories {parent.alias}"]
        if parent_where:
            parts += [" WHERE ", *parent_where]
        parts.append(")")
        if child_where:
            parts += [" AND (", *child_where, ")"]
        return Query(parts, missing_key=missing, shape=f"subquery {child.name}")

    def exists_query(self) -> Query:
        """A correlated [NOT] EXISTS from a parent to its children (semi- and anti-joins)."""
        rng = self.rng
        parent_name, child_name, correlation = rng.choice((
            ("pull_requests", "pull_request_comments", "pc.repository = p.repository AND pc.pull_request_id = p.id"),
            ("repositories", "pull_requests", "p.repository = r.slug"),
            ("branches", "pipelines", "pl.repository = b.repository AND pl.target_ref_name = b.name"),
        ))
        parent, child = SPECS[parent_name], SPECS[child_name]
        parent_where, missing = self.where(parent, parent.alias)
        child_where, _ = self.where(child, child.alias, keys=False)
        parts: list[Part] = ["SELECT ", *self.projection(parent, parent.alias), f" FROM {parent_name} {parent.alias} WHERE "]
        if parent_where:
            parts += ["(", *parent_where, ") AND "]
        parts += [rng.choice(("EXISTS", "NOT EXISTS")), f" (SELECT 1 FROM {child_name} {child.alias} WHERE {correlation}"]
        if child_where:
            parts += [" AND (", *child_where, ")"]
        parts.append(")")
        return Query(parts, missing_key=missing, shape=f"exists {parent_name}-{child_name}")

    def union_query(self) -> Query:
        """UNION [ALL] of two filtered selections of one text column from two tables."""
        rng = self.rng
        parts: list[Part] = []
        missing = None
        for index in range(2):
            spec = self.pick_table()
            texts = [c for c in spec.columns if self.catalog.columns[spec.name][c].kind == "text"]
            where, named_missing = self.where(spec, spec.alias, keys=index == 0)  # one missing key at most
            missing = missing or named_missing
            if index:
                parts.append(rng.choice((" UNION ", " UNION ALL ", " EXCEPT ", " INTERSECT ")))
            parts += [f"(SELECT {spec.alias}.{rng.choice(texts)} AS v FROM {spec.name} {spec.alias}"]
            if where:
                parts += [" WHERE ", *where]
            parts.append(")")
        return Query(parts, missing_key=missing, shape="union")

    def window_query(self) -> Query:
        spec = SPECS[self.rng.choice(("pull_requests", "pipelines", "branches", "commits"))]
        q = spec.alias
        where, missing = self.where(spec, q)
        order = ", ".join(f"{q}.{c}" for c in spec.unique)
        sort = self.rng.choice([c for c in spec.columns if c not in spec.unique])
        parts: list[Part] = [
            f"WITH w AS (SELECT {q}.*, row_number() OVER (PARTITION BY {q}.repository ORDER BY {q}.{sort}, {order})"
            f" AS rn FROM {spec.name} {q}",
        ]
        if where:
            parts += [" WHERE ", *where]
        limit = self.rng.choice((1, 2, 3))
        parts.append(f") SELECT {', '.join(spec.unique)}, rn FROM w WHERE rn <= {limit}")
        return Query(parts, missing_key=missing, shape=f"window {spec.name}")


def _neutral(ref: str, kind: str) -> str:
    """An expression equal to ``ref`` that no pushdown recognises as the column."""
    if kind == "text":
        return f"({ref} || '')"
    if kind == "int":
        return f"({ref} + 0)"
    if kind == "ts":
        return f"({ref} + INTERVAL 0 SECOND)"
    return f"({ref} OR false)"


def _refold(text: str) -> str:
    """``text`` with letters swapped for their special-case partners (İ -> i, ς -> σ, ß -> SS ...)."""
    return "".join(FOLDINGS.get(char, char) for char in text)


def _flip(op: str) -> str:
    return {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)


def _zone(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


__all__ = ["TABLES", "Generator", "Piece", "Query"]
