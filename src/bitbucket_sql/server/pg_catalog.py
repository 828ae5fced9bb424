"""PostgreSQL's system catalogs for our tables, in a local DuckDB database: zero API requests.

Tools introspect a PostgreSQL server with SQL over ``pg_catalog`` and ``information_schema``
(psql's ``\\d``, pgJDBC's ``getColumns``, SQLAlchemy's inspector...). Those queries join
catalogs, call functions such as ``format_type`` and cast to ``regclass``; answering them
with real SQL is the only way to answer all of them. So each session holds one small
in-memory DuckDB database whose schema ``bbsql_pg`` mirrors ``pg_catalog`` (PostgreSQL's
column names, real type OIDs) and ``bbsql_info`` mirrors ``information_schema``, filled from
the table catalog (bitbucket_sql.catalog.registry) for the session's schemas (workspaces).
DuckDB's own ``pg_catalog`` is a read-only system schema that cannot be shadowed, so
:mod:`.translate` renames references to these schemas and PostgreSQL's functions to the
``bbpg_*`` functions registered here.

OIDs: PostgreSQL's own objects keep their real OIDs (pg_catalog 11, public 2200, text 25...);
each schema of ours gets a block of 10,000 OIDs from 16384 upward, in the order the schemas
are known (the connection's Workspace first), and each table four OIDs in it (table, primary
key index, primary key constraint, row type), in catalog order: stable across sessions of one
database.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import duckdb.func as duckdb_func
import pyarrow as pa

from bitbucket_sql import __version__
from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import TableDef

from . import pgtypes
from .pgtypes import pg_type_for, type_modifier

#: DuckDB schemas standing in for PostgreSQL's (see the module docstring).
PG_SCHEMA = "bbsql_pg"
INFO_SCHEMA = "bbsql_info"

PG_CATALOG_OID = 11
PUBLIC_OID = 2200
INFORMATION_SCHEMA_OID = 13183
PG_TOAST_OID = 99
FIRST_USER_OID = 16384
OIDS_PER_SCHEMA = 10_000
OWNER_OID = 10
DATABASE_OID = 16383
#: memory one session's local database may use (its catalog is a few MB; the rest is for queries)
LOCAL_MEMORY_LIMIT = "256MB"
#: the server version reported to clients (clients compare it to enable features)
SERVER_VERSION = "16.4"
SERVER_VERSION_NUM = "160004"

#: real OIDs of PostgreSQL's catalog tables (``'pg_class'::regclass`` and ``classoid`` columns)
SYSTEM_RELATIONS: dict[str, int] = {
    "pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259, "pg_attrdef": 2604,
    "pg_constraint": 2606, "pg_inherits": 2611, "pg_index": 2610, "pg_namespace": 2615, "pg_am": 2601,
    "pg_description": 2609, "pg_database": 1262, "pg_authid": 1260, "pg_enum": 3501, "pg_range": 3541,
    "pg_extension": 3079, "pg_collation": 3456, "pg_tablespace": 1213, "pg_trigger": 2620,
    "pg_rewrite": 2618, "pg_depend": 2608, "pg_shdescription": 2396, "pg_policy": 3256,
    "pg_statistic_ext": 3381, "pg_publication": 6104, "pg_publication_rel": 6106,
    "pg_publication_namespace": 6237, "pg_sequence": 2224, "pg_opclass": 2616, "pg_language": 2612,
    "pg_operator": 2617, "pg_foreign_table": 3118, "pg_auth_members": 1261,
}

# --- the catalogs' columns -------------------------------------------------------------------
# "name TYPE[=default]"; a column without a default is NULL unless a row gives it.
_I, _B, _S = "BIGINT=0", "BOOLEAN=false", "SMALLINT=0"

#: pg_stat_*_tables: no statistics here (tools read n_live_tup as an estimate; 0 = unknown)
_STAT_TABLE_COLUMNS = (
    "relid BIGINT", "schemaname VARCHAR", "relname VARCHAR", "seq_scan BIGINT=0", "seq_tup_read BIGINT=0",
    "idx_scan BIGINT=0", "idx_tup_fetch BIGINT=0", "n_tup_ins BIGINT=0", "n_tup_upd BIGINT=0", "n_tup_del BIGINT=0",
    "n_tup_hot_upd BIGINT=0", "n_live_tup BIGINT=0", "n_dead_tup BIGINT=0", "last_vacuum TIMESTAMPTZ",
    "last_autovacuum TIMESTAMPTZ", "last_analyze TIMESTAMPTZ", "last_autoanalyze TIMESTAMPTZ",
)

PG_TABLES: dict[str, tuple[str, ...]] = {
    "pg_namespace": ("oid BIGINT", "nspname VARCHAR", f"nspowner BIGINT={OWNER_OID}", "nspacl VARCHAR[]"),
    "pg_class": (
        "oid BIGINT", "relname VARCHAR", "relnamespace BIGINT", f"reltype {_I}", f"reloftype {_I}",
        f"relowner BIGINT={OWNER_OID}", f"relam {_I}", f"relfilenode {_I}", f"reltablespace {_I}",
        "relpages INTEGER=0", "reltuples FLOAT=-1", "relallvisible INTEGER=0", f"reltoastrelid {_I}",
        f"relhasindex {_B}", f"relisshared {_B}", "relpersistence VARCHAR=p", "relkind VARCHAR=r",
        f"relnatts {_S}", f"relchecks {_S}", f"relhasrules {_B}", f"relhastriggers {_B}",
        f"relhassubclass {_B}", f"relrowsecurity {_B}", f"relforcerowsecurity {_B}",
        "relispopulated BOOLEAN=true", "relreplident VARCHAR=d", f"relispartition {_B}", f"relrewrite {_I}",
        f"relfrozenxid {_I}", f"relminmxid {_I}", "relacl VARCHAR[]", "reloptions VARCHAR[]",
        "relpartbound VARCHAR", f"relhasoids {_B}",
    ),
    "pg_attribute": (
        "attrelid BIGINT", "attname VARCHAR", "atttypid BIGINT", "attstattarget SMALLINT=-1", "attlen SMALLINT",
        "attnum SMALLINT", f"attndims {_S}", "attcacheoff INTEGER=-1", "atttypmod INTEGER=-1",
        f"attbyval {_B}", "attalign VARCHAR=i", "attstorage VARCHAR=x", "attcompression VARCHAR=",
        f"attnotnull {_B}", f"atthasdef {_B}", f"atthasmissing {_B}", "attidentity VARCHAR=",
        "attgenerated VARCHAR=", f"attisdropped {_B}", "attislocal BOOLEAN=true", f"attinhcount {_S}",
        f"attcollation {_I}", "attacl VARCHAR[]", "attoptions VARCHAR[]", "attfdwoptions VARCHAR[]",
        "attmissingval VARCHAR",
    ),
    "pg_type": (
        "oid BIGINT", "typname VARCHAR", f"typnamespace BIGINT={PG_CATALOG_OID}", f"typowner BIGINT={OWNER_OID}",
        "typlen SMALLINT", f"typbyval {_B}", "typtype VARCHAR=b", "typcategory VARCHAR",
        f"typispreferred {_B}", "typisdefined BOOLEAN=true", "typdelim VARCHAR=,", f"typrelid {_I}",
        "typsubscript VARCHAR=-", f"typelem {_I}", f"typarray {_I}", f"typinput {_I}", f"typoutput {_I}",
        f"typreceive {_I}", f"typsend {_I}", f"typmodin {_I}", f"typmodout {_I}", f"typanalyze {_I}", "typalign VARCHAR=i", "typstorage VARCHAR=p", f"typnotnull {_B}",
        f"typbasetype {_I}", "typtypmod INTEGER=-1", "typndims INTEGER=0", f"typcollation {_I}",
        "typdefaultbin VARCHAR", "typdefault VARCHAR", "typacl VARCHAR[]",
    ),
    "pg_index": (
        "indexrelid BIGINT", "indrelid BIGINT", f"indnatts {_S}", f"indnkeyatts {_S}", f"indisunique {_B}",
        f"indnullsnotdistinct {_B}", f"indisprimary {_B}", f"indisexclusion {_B}", "indimmediate BOOLEAN=true",
        f"indisclustered {_B}", "indisvalid BOOLEAN=true", f"indcheckxmin {_B}", "indisready BOOLEAN=true",
        "indislive BOOLEAN=true", f"indisreplident {_B}", "indkey SMALLINT[]", "indcollation BIGINT[]",
        "indclass BIGINT[]", "indoption SMALLINT[]", "indexprs VARCHAR", "indpred VARCHAR",
    ),
    "pg_constraint": (
        "oid BIGINT", "conname VARCHAR", "connamespace BIGINT", "contype VARCHAR", f"condeferrable {_B}",
        f"condeferred {_B}", "convalidated BOOLEAN=true", f"conrelid {_I}", f"contypid {_I}", f"conindid {_I}",
        f"conparentid {_I}", f"confrelid {_I}", "confupdtype VARCHAR= ", "confdeltype VARCHAR= ",
        "confmatchtype VARCHAR= ", "conislocal BOOLEAN=true", "coninhcount INTEGER=0", f"connoinherit {_B}",
        "conkey SMALLINT[]", "confkey SMALLINT[]", "conpfeqop BIGINT[]", "conppeqop BIGINT[]",
        "conffeqop BIGINT[]", "confdelsetcols SMALLINT[]", "conexclop BIGINT[]", "conbin VARCHAR",
    ),
    "pg_description": ("objoid BIGINT", "classoid BIGINT", "objsubid INTEGER", "description VARCHAR"),
    "pg_shdescription": ("objoid BIGINT", "classoid BIGINT", "description VARCHAR"),
    "pg_database": (
        "oid BIGINT", "datname VARCHAR", f"datdba BIGINT={OWNER_OID}", "encoding INTEGER=6",
        "datlocprovider VARCHAR=c", f"datistemplate {_B}", "datallowconn BOOLEAN=true", "datconnlimit INTEGER=-1",
        f"datfrozenxid {_I}", f"datminmxid {_I}", "dattablespace BIGINT=1663", "datcollate VARCHAR=C.UTF-8",
        "datctype VARCHAR=C.UTF-8", "daticulocale VARCHAR", "daticurules VARCHAR", "datcollversion VARCHAR",
        "datacl VARCHAR[]",
    ),
    "pg_settings": (
        "name VARCHAR", "setting VARCHAR", "unit VARCHAR", "category VARCHAR=Client Connection Defaults",
        "short_desc VARCHAR=", "extra_desc VARCHAR", "context VARCHAR=user", "vartype VARCHAR=string",
        "source VARCHAR=default", "min_val VARCHAR", "max_val VARCHAR", "enumvals VARCHAR[]", "boot_val VARCHAR",
        "reset_val VARCHAR", "sourcefile VARCHAR", "sourceline INTEGER", f"pending_restart {_B}",
    ),
    "pg_proc": (
        "oid BIGINT", "proname VARCHAR", f"pronamespace BIGINT={PG_CATALOG_OID}", f"proowner BIGINT={OWNER_OID}",
        "prolang BIGINT=12", "procost FLOAT=1", "prorows FLOAT=0", f"provariadic {_I}", "prosupport VARCHAR=-",
        "prokind VARCHAR=f", f"prosecdef {_B}", f"proleakproof {_B}", f"proisstrict {_B}", f"proretset {_B}",
        "provolatile VARCHAR=s", "proparallel VARCHAR=s", f"pronargs {_S}", f"pronargdefaults {_S}",
        "prorettype BIGINT=25", "proargtypes BIGINT[]", "proallargtypes BIGINT[]", "proargmodes VARCHAR[]",
        "proargnames VARCHAR[]", "proargdefaults VARCHAR", "protrftypes BIGINT[]", "prosrc VARCHAR=",
        "probin VARCHAR", "prosqlbody VARCHAR", "proconfig VARCHAR[]", "proacl VARCHAR[]",
    ),
    "pg_roles": (
        "rolname VARCHAR", f"rolsuper {_B}", "rolinherit BOOLEAN=true", f"rolcreaterole {_B}",
        f"rolcreatedb {_B}", "rolcanlogin BOOLEAN=true", f"rolreplication {_B}", "rolconnlimit INTEGER=-1",
        "rolpassword VARCHAR=********", "rolvaliduntil TIMESTAMPTZ", f"rolbypassrls {_B}",
        "rolconfig VARCHAR[]", "oid BIGINT",
    ),
    "pg_user": (
        "usename VARCHAR", "usesysid BIGINT", f"usecreatedb {_B}", f"usesuper {_B}", f"userepl {_B}",
        f"usebypassrls {_B}", "passwd VARCHAR=********", "valuntil TIMESTAMPTZ", "useconfig VARCHAR[]",
    ),
    "pg_authid": (
        "oid BIGINT", "rolname VARCHAR", f"rolsuper {_B}", "rolinherit BOOLEAN=true", f"rolcreaterole {_B}",
        f"rolcreatedb {_B}", "rolcanlogin BOOLEAN=true", f"rolreplication {_B}", f"rolbypassrls {_B}",
        "rolconnlimit INTEGER=-1", "rolpassword VARCHAR", "rolvaliduntil TIMESTAMPTZ",
    ),
    "pg_auth_members": ("oid BIGINT", "roleid BIGINT", "member BIGINT", "grantor BIGINT", f"admin_option {_B}"),
    "pg_am": ("oid BIGINT", "amname VARCHAR", "amhandler VARCHAR", "amtype VARCHAR"),
    "pg_attrdef": ("oid BIGINT", "adrelid BIGINT", "adnum SMALLINT", "adbin VARCHAR"),
    "pg_enum": ("oid BIGINT", "enumtypid BIGINT", "enumsortorder FLOAT", "enumlabel VARCHAR"),
    "pg_range": (
        "rngtypid BIGINT", "rngsubtype BIGINT", "rngmultitypid BIGINT", "rngcollation BIGINT",
        "rngsubopc BIGINT", "rngcanonical VARCHAR", "rngsubdiff VARCHAR",
    ),
    "pg_extension": (
        "oid BIGINT", "extname VARCHAR", f"extowner BIGINT={OWNER_OID}", f"extnamespace BIGINT={PG_CATALOG_OID}",
        f"extrelocatable {_B}", "extversion VARCHAR", "extconfig BIGINT[]", "extcondition VARCHAR[]",
    ),
    "pg_tables": (
        "schemaname VARCHAR", "tablename VARCHAR", "tableowner VARCHAR", "tablespace VARCHAR",
        f"hasindexes {_B}", f"hasrules {_B}", f"hastriggers {_B}", f"rowsecurity {_B}",
    ),
    "pg_views": ("schemaname VARCHAR", "viewname VARCHAR", "viewowner VARCHAR", "definition VARCHAR"),
    "pg_matviews": (
        "schemaname VARCHAR", "matviewname VARCHAR", "matviewowner VARCHAR", "tablespace VARCHAR",
        f"hasindexes {_B}", f"ispopulated {_B}", "definition VARCHAR",
    ),
    "pg_indexes": ("schemaname VARCHAR", "tablename VARCHAR", "indexname VARCHAR", "tablespace VARCHAR",
                   "indexdef VARCHAR"),
    "pg_inherits": ("inhrelid BIGINT", "inhparent BIGINT", "inhseqno INTEGER", f"inhdetachpending {_B}"),
    "pg_collation": (
        "oid BIGINT", "collname VARCHAR", f"collnamespace BIGINT={PG_CATALOG_OID}", f"collowner BIGINT={OWNER_OID}",
        "collprovider VARCHAR=c", "collisdeterministic BOOLEAN=true", "collencoding INTEGER=-1",
        "collcollate VARCHAR", "collctype VARCHAR", "colliculocale VARCHAR", "collicurules VARCHAR",
        "collversion VARCHAR",
    ),
    "pg_tablespace": ("oid BIGINT", "spcname VARCHAR", f"spcowner BIGINT={OWNER_OID}", "spcacl VARCHAR[]",
                      "spcoptions VARCHAR[]"),
    "pg_policy": (
        "oid BIGINT", "polname VARCHAR", "polrelid BIGINT", "polcmd VARCHAR", "polpermissive BOOLEAN",
        "polroles BIGINT[]", "polqual VARCHAR", "polwithcheck VARCHAR",
    ),
    "pg_statistic_ext": (
        "oid BIGINT", "stxrelid BIGINT", "stxname VARCHAR", "stxnamespace BIGINT", "stxowner BIGINT",
        "stxstattarget INTEGER", "stxkeys SMALLINT[]", "stxkind VARCHAR[]", "stxexprs VARCHAR",
    ),
    "pg_publication": (
        "oid BIGINT", "pubname VARCHAR", "pubowner BIGINT", "puballtables BOOLEAN", "pubinsert BOOLEAN",
        "pubupdate BOOLEAN", "pubdelete BOOLEAN", "pubtruncate BOOLEAN", "pubviaroot BOOLEAN",
    ),
    "pg_publication_namespace": ("oid BIGINT", "pnpubid BIGINT", "pnnspid BIGINT"),
    "pg_publication_rel": ("oid BIGINT", "prpubid BIGINT", "prrelid BIGINT", "prqual VARCHAR",
                           "prattrs SMALLINT[]"),
    "pg_sequence": (
        "seqrelid BIGINT", "seqtypid BIGINT", "seqstart BIGINT", "seqincrement BIGINT", "seqmax BIGINT",
        "seqmin BIGINT", "seqcache BIGINT", "seqcycle BOOLEAN",
    ),
    "pg_opclass": (
        "oid BIGINT", "opcmethod BIGINT", "opcname VARCHAR", "opcnamespace BIGINT", "opcowner BIGINT",
        "opcfamily BIGINT", "opcintype BIGINT", "opcdefault BOOLEAN", "opckeytype BIGINT",
    ),
    "pg_trigger": (
        "oid BIGINT", "tgrelid BIGINT", "tgparentid BIGINT", "tgname VARCHAR", "tgfoid BIGINT",
        "tgtype SMALLINT", "tgenabled VARCHAR", "tgisinternal BOOLEAN", "tgconstrrelid BIGINT",
        "tgconstrindid BIGINT", "tgconstraint BIGINT", "tgdeferrable BOOLEAN", "tginitdeferred BOOLEAN",
        "tgnargs SMALLINT", "tgattr SMALLINT[]", "tgargs VARCHAR", "tgqual VARCHAR", "tgoldtable VARCHAR",
        "tgnewtable VARCHAR",
    ),
    "pg_rewrite": ("oid BIGINT", "rulename VARCHAR", "ev_class BIGINT", "ev_type VARCHAR",
                   "ev_enabled VARCHAR", "is_instead BOOLEAN", "ev_qual VARCHAR", "ev_action VARCHAR"),
    "pg_depend": ("classid BIGINT", "objid BIGINT", "objsubid INTEGER", "refclassid BIGINT",
                  "refobjid BIGINT", "refobjsubid INTEGER", "deptype VARCHAR"),
    "pg_language": ("oid BIGINT", "lanname VARCHAR", f"lanowner BIGINT={OWNER_OID}", f"lanispl {_B}",
                    "lanpltrusted BOOLEAN=true", f"lanplcallfoid {_I}", f"laninline {_I}",
                    f"lanvalidator {_I}", "lanacl VARCHAR[]"),
    "pg_operator": ("oid BIGINT", "oprname VARCHAR", "oprnamespace BIGINT", "oprowner BIGINT",
                    "oprkind VARCHAR", "oprleft BIGINT", "oprright BIGINT", "oprresult BIGINT",
                    "oprcode VARCHAR"),
    "pg_foreign_table": ("ftrelid BIGINT", "ftserver BIGINT", "ftoptions VARCHAR[]"),
    "pg_stat_activity": (
        "datid BIGINT", "datname VARCHAR", "pid INTEGER", "usesysid BIGINT", "usename VARCHAR",
        "application_name VARCHAR", "client_addr VARCHAR", "client_port INTEGER", "backend_start TIMESTAMPTZ",
        "query_start TIMESTAMPTZ", "state VARCHAR", "query VARCHAR", "backend_type VARCHAR",
    ),
    "pg_timezone_names": ("name VARCHAR", "abbrev VARCHAR", "utc_offset INTERVAL", "is_dst BOOLEAN"),
    "pg_stat_user_tables": _STAT_TABLE_COLUMNS,
    "pg_stat_all_tables": _STAT_TABLE_COLUMNS,
}

INFO_TABLES: dict[str, tuple[str, ...]] = {
    "schemata": (
        "catalog_name VARCHAR", "schema_name VARCHAR", "schema_owner VARCHAR",
        "default_character_set_catalog VARCHAR", "default_character_set_schema VARCHAR",
        "default_character_set_name VARCHAR", "sql_path VARCHAR",
    ),
    "tables": (
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "table_type VARCHAR",
        "self_referencing_column_name VARCHAR", "reference_generation VARCHAR",
        "user_defined_type_catalog VARCHAR", "user_defined_type_schema VARCHAR",
        "user_defined_type_name VARCHAR", "is_insertable_into VARCHAR=NO", "is_typed VARCHAR=NO",
        "commit_action VARCHAR",
    ),
    "columns": (
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "column_name VARCHAR",
        "ordinal_position INTEGER", "column_default VARCHAR", "is_nullable VARCHAR", "data_type VARCHAR",
        "character_maximum_length INTEGER", "character_octet_length INTEGER", "numeric_precision INTEGER",
        "numeric_precision_radix INTEGER", "numeric_scale INTEGER", "datetime_precision INTEGER",
        "interval_type VARCHAR", "interval_precision INTEGER", "character_set_catalog VARCHAR",
        "character_set_schema VARCHAR", "character_set_name VARCHAR", "collation_catalog VARCHAR",
        "collation_schema VARCHAR", "collation_name VARCHAR", "domain_catalog VARCHAR", "domain_schema VARCHAR",
        "domain_name VARCHAR", "udt_catalog VARCHAR", "udt_schema VARCHAR=pg_catalog", "udt_name VARCHAR",
        "scope_catalog VARCHAR", "scope_schema VARCHAR", "scope_name VARCHAR", "maximum_cardinality INTEGER",
        "dtd_identifier VARCHAR", "is_self_referencing VARCHAR=NO", "is_identity VARCHAR=NO",
        "identity_generation VARCHAR", "identity_start VARCHAR", "identity_increment VARCHAR",
        "identity_maximum VARCHAR", "identity_minimum VARCHAR", "identity_cycle VARCHAR=NO",
        "is_generated VARCHAR=NEVER", "generation_expression VARCHAR", "is_updatable VARCHAR=NO",
        "column_comment VARCHAR",
    ),
    "table_constraints": (
        "constraint_catalog VARCHAR", "constraint_schema VARCHAR", "constraint_name VARCHAR",
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "constraint_type VARCHAR",
        "is_deferrable VARCHAR=NO", "initially_deferred VARCHAR=NO", "enforced VARCHAR=YES",
        "nulls_distinct VARCHAR",
    ),
    "key_column_usage": (
        "constraint_catalog VARCHAR", "constraint_schema VARCHAR", "constraint_name VARCHAR",
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "column_name VARCHAR",
        "ordinal_position INTEGER", "position_in_unique_constraint INTEGER",
    ),
    "constraint_column_usage": (
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "column_name VARCHAR",
        "constraint_catalog VARCHAR", "constraint_schema VARCHAR", "constraint_name VARCHAR",
    ),
    "referential_constraints": (
        "constraint_catalog VARCHAR", "constraint_schema VARCHAR", "constraint_name VARCHAR",
        "unique_constraint_catalog VARCHAR", "unique_constraint_schema VARCHAR",
        "unique_constraint_name VARCHAR", "match_option VARCHAR", "update_rule VARCHAR", "delete_rule VARCHAR",
    ),
    "views": (
        "table_catalog VARCHAR", "table_schema VARCHAR", "table_name VARCHAR", "view_definition VARCHAR",
        "check_option VARCHAR", "is_updatable VARCHAR", "is_insertable_into VARCHAR",
        "is_trigger_updatable VARCHAR", "is_trigger_deletable VARCHAR", "is_trigger_insertable_into VARCHAR",
    ),
    "routines": (
        "specific_catalog VARCHAR", "specific_schema VARCHAR", "specific_name VARCHAR",
        "routine_catalog VARCHAR", "routine_schema VARCHAR", "routine_name VARCHAR", "routine_type VARCHAR",
        "data_type VARCHAR", "routine_definition VARCHAR", "external_language VARCHAR",
    ),
    "character_sets": (
        "character_set_catalog VARCHAR", "character_set_schema VARCHAR", "character_set_name VARCHAR",
        "character_repertoire VARCHAR", "form_of_use VARCHAR", "default_collate_catalog VARCHAR",
        "default_collate_schema VARCHAR", "default_collate_name VARCHAR",
    ),
    "enabled_roles": ("role_name VARCHAR",),
    "sequences": ("sequence_catalog VARCHAR", "sequence_schema VARCHAR", "sequence_name VARCHAR",
                  "data_type VARCHAR"),
    "triggers": ("trigger_catalog VARCHAR", "trigger_schema VARCHAR", "trigger_name VARCHAR",
                 "event_object_schema VARCHAR", "event_object_table VARCHAR"),
}


#: result columns of catalog queries that PostgreSQL types as ``name`` and ``"char"`` (drivers such as
#: Npgsql read them by those types); ``oid`` columns are the catalogs' BIGINT columns (see below)
NAME_COLUMNS = frozenset({
    "nspname", "relname", "attname", "typname", "datname", "rolname", "usename", "proname", "conname", "amname",
    "collname", "spcname", "lanname", "extname", "polname", "stxname", "pubname", "opcname", "oprname", "tgname",
    "rulename", "enumlabel", "schemaname", "tablename", "viewname", "indexname", "tableowner", "viewowner",
    "matviewname", "matviewowner",
})
CHAR_COLUMNS = frozenset({
    "relkind", "relpersistence", "relreplident", "typtype", "typcategory", "typdelim", "typalign", "typstorage",
    "attalign", "attstorage", "attidentity", "attgenerated", "attcompression", "contype", "confupdtype",
    "confdeltype", "confmatchtype", "prokind", "provolatile", "proparallel", "amtype", "polcmd", "deptype",
    "datlocprovider", "collprovider", "ev_type", "ev_enabled", "tgenabled",
})
_NOT_OIDS = frozenset({"seqstart", "seqincrement", "seqmax", "seqmin", "seqcache", "seq_scan", "seq_tup_read",
                       "idx_scan", "idx_tup_fetch", "n_tup_ins", "n_tup_upd", "n_tup_del", "n_tup_hot_upd",
                       "n_live_tup", "n_dead_tup"})


def result_type(name: str, duckdb_type: str) -> pgtypes.PgType:
    """The PostgreSQL type of a catalog query's result column (``oid``, ``name``, ``"char"`` where PostgreSQL says so)."""
    if duckdb_type == "BIGINT" and name in OID_COLUMNS:
        return pgtypes.OID
    if duckdb_type == "VARCHAR" and name in NAME_COLUMNS:
        return pgtypes.NAME
    if duckdb_type == "VARCHAR" and name in CHAR_COLUMNS:
        return pgtypes.CHAR
    return pg_type_for(duckdb_type)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    default: Any


def _parse_spec(spec: str) -> ColumnSpec:
    name, _, rest = spec.partition(" ")
    kind, has_default, raw = rest.partition("=")
    default: Any = None
    if has_default:
        if kind == "BOOLEAN":
            default = raw == "true"
        elif kind in ("BIGINT", "INTEGER", "SMALLINT"):
            default = int(raw)
        elif kind == "FLOAT":
            default = float(raw)
        else:
            default = raw
    return ColumnSpec(name, kind, default)


def columns_of(specs: Sequence[str]) -> list[ColumnSpec]:
    return [_parse_spec(spec) for spec in specs]


OID_COLUMNS = frozenset(
    spec.name for specs in PG_TABLES.values() for spec in columns_of(specs) if spec.type == "BIGINT"
) - _NOT_OIDS


#: pg_type's function columns (regproc: OIDs of pg_proc rows) -> the suffix of the function's name
_IO_COLUMNS = {"typinput": "in", "typoutput": "out", "typreceive": "recv", "typsend": "send"}
#: PostgreSQL's own OIDs of the array and record I/O functions (drivers such as Npgsql look for them)
_KNOWN_IO_OIDS = {"array_in": 750, "array_out": 751, "array_recv": 2400, "array_send": 2401,
                  "record_in": 2290, "record_out": 2291, "record_recv": 2402, "record_send": 2403}


# --- the objects of one session's catalog ----------------------------------------------------


@dataclass(frozen=True)
class Relation:
    """One of our tables in one schema, with the OIDs PostgreSQL clients see."""

    oid: int
    schema: str
    namespace_oid: int
    table: TableDef

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def index_oid(self) -> int:
        return self.oid + 1

    @property
    def constraint_oid(self) -> int:
        return self.oid + 2

    @property
    def rowtype_oid(self) -> int:
        return self.oid + 3

    @property
    def pkey_name(self) -> str:
        return f"{self.table.name}_pkey"

    def attnum(self, column: str) -> int:
        return self.table.column_names.index(column) + 1


@dataclass
class SessionState:
    """What the catalog's functions read at call time (the session changes it with SET)."""

    database: str
    user: str
    can_write: bool
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def search_path(self) -> list[str]:
        raw = self.settings.get("search_path", "")
        names = []
        for part in raw.split(","):
            name = part.strip().strip('"')
            if name == "$user":
                name = self.user
            if name:
                names.append(name)
        return names


def catalog_tables() -> list[TableDef]:
    """The tables every schema holds (removed tables are left out: they answer 410)."""
    return [table for table in registry.all_tables() if not table.removed]


@dataclass
class _SharedRows:
    """One schema's catalog rows (and their Arrow tables, made on first use) for one database,
    user and set of workspaces: the same for every session with those, so built once per process."""

    rows: dict[str, list[dict[str, Any]]]
    io_functions: dict[str, int]
    arrow: dict[str, pa.Table] = field(default_factory=dict)


class _SharedRowsCache:
    """The process's :class:`_SharedRows` by (database, user, workspaces) and schema, least recent out.

    Building them took most of a session's first catalog query (Python rows, then Arrow); every
    connection of a BI tool introspects first, so with many clients this was most of the server's
    catalog CPU. Each session still has its own DuckDB database (its settings, search_path and
    functions, its memory limit): only the rows, which never change, are shared, read-only.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: dict[tuple[Any, str], _SharedRows] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, str]) -> _SharedRows | None:
        with self._lock:
            shared = self._entries.pop(key, None)
            if shared is not None:
                self._entries[key] = shared  # most recent last
            return shared

    def put(self, key: tuple[Any, str], shared: _SharedRows) -> _SharedRows:
        """Keep ``shared`` unless another session was first (then use that one's)."""
        with self._lock:
            kept = self._entries.setdefault(key, shared)
            while len(self._entries) > self._capacity:
                self._entries.pop(next(iter(self._entries)))
            return kept


_SHARED_ROWS = _SharedRowsCache(capacity=64)


class PgCatalog:
    """The local DuckDB database holding one session's pg_catalog and information_schema."""

    def __init__(self, state: SessionState, schemas: Sequence[str]) -> None:
        self.state = state
        self.schemas = list(dict.fromkeys(schemas))
        self.namespaces: dict[int, str] = {PG_CATALOG_OID: "pg_catalog", INFORMATION_SCHEMA_OID: "information_schema",
                                           PUBLIC_OID: "public", PG_TOAST_OID: "pg_toast"}
        self.relations: dict[int, Relation] = {}
        #: pg_catalog's own relations: PostgreSQL's OIDs for its tables, OIDs from 12000 for the views
        self.catalog_relations: dict[str, int] = dict(SYSTEM_RELATIONS)
        for name in PG_TABLES:
            self.catalog_relations.setdefault(name, 12000 + len(self.catalog_relations))
        self.system_relations: dict[int, str] = {oid: name for name, oid in self.catalog_relations.items()}
        for index, schema in enumerate(self.schemas):
            namespace_oid = FIRST_USER_OID + OIDS_PER_SCHEMA * index
            self.namespaces[namespace_oid] = schema
            for position, table in enumerate(catalog_tables()):
                oid = namespace_oid + 1 + 4 * position
                self.relations[oid] = Relation(oid, schema, namespace_oid, table)
        self.indexes = {rel.index_oid: rel for rel in self.relations.values() if rel.table.primary_key}
        self.constraints = {rel.constraint_oid: rel for rel in self.relations.values() if rel.table.primary_key}
        self._lock = threading.Lock()
        self._registered: set[str] = set()
        self._io_functions: dict[str, int] = {}
        self._created: set[tuple[str, str]] = set()
        self._rows: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self.connection = duckdb.connect(
            ":memory:",
            config={"enable_external_access": False, "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False, "threads": 1, "memory_limit": LOCAL_MEMORY_LIMIT},
        )
        self.connection.execute("SET TimeZone = 'UTC'")
        self._create()

    # --- building --------------------------------------------------------------------------
    def _create(self) -> None:
        """Schemas and macros now; each catalog table when a statement first reads it (see ensure)."""
        for schema in (PG_SCHEMA, INFO_SCHEMA):
            self.connection.execute(f'CREATE SCHEMA "{schema}"')
        self._create_macros()
        self.connection.execute("SET lock_configuration = true")

    def ensure(self, relations: Sequence[tuple[str, str]]) -> None:
        """Create and fill the catalog tables a statement reads (most statements read a few of ~60)."""
        with self._lock:
            for schema, name in relations:
                if (schema, name) in self._created:
                    continue
                specs = (PG_TABLES if schema == PG_SCHEMA else INFO_TABLES).get(name)
                if specs is None:
                    continue
                columns = columns_of(specs)
                body = ", ".join(f'"{c.name}" {c.type}' for c in columns)
                self.connection.execute(f'CREATE TABLE "{schema}"."{name}" ({body})')
                self._insert(schema, name, columns, self._rows_of(schema, name))
                self._created.add((schema, name))

    @property
    def _shared_key(self) -> tuple[str, str, tuple[str, ...]]:
        """What the rows depend on besides the (static) table definitions; pg_settings aside."""
        return self.state.database, self.state.user, tuple(self.schemas)

    def _rows_of(self, schema: str, name: str) -> list[dict[str, Any]]:
        if schema == PG_SCHEMA and name == "pg_settings":
            return self._settings_rows()  # SET may have changed them since the session started
        if schema not in self._rows:
            shared = _SHARED_ROWS.get((self._shared_key, schema))
            if shared is None:
                rows = self._pg_rows() if schema == PG_SCHEMA else self._info_rows()
                shared = _SHARED_ROWS.put((self._shared_key, schema), _SharedRows(rows, dict(self._io_functions)))
            if schema == PG_SCHEMA:
                self._io_functions = dict(shared.io_functions)  # the OIDs the shared pg_type rows name
            self._rows[schema] = shared.rows
        return self._rows[schema].get(name, [])

    def _insert(self, schema: str, name: str, columns: list[ColumnSpec], rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        shared = None if name == "pg_settings" else _SHARED_ROWS.get((self._shared_key, schema))
        table = shared.arrow.get(name) if shared is not None else None
        if table is None:
            table = pa.table({c.name: [row.get(c.name, c.default) for row in rows] for c in columns})
            if shared is not None:
                shared.arrow[name] = table
        view = f"__rows_{name}"
        self.connection.register(view, table)
        try:
            names = ", ".join(f'"{c.name}"' for c in columns)
            self.connection.execute(f'INSERT INTO "{schema}"."{name}" ({names}) SELECT {names} FROM "{view}"')
        finally:
            self.connection.unregister(view)

    def _create_macros(self) -> None:
        macros = {
            "bbpg_array_upper": "(a, d) AS CASE WHEN len(a) > 0 THEN len(a) END",
            "bbpg_array_lower": "(a, d) AS CASE WHEN len(a) > 0 THEN 1 END",
            "bbpg_array_length": "(a, d) AS CASE WHEN len(a) > 0 THEN len(a) END",
            "bbpg_expandarray": "(a) AS unnest(list_transform(generate_series(1, len(a)), lambda i: {'x': a[i], 'n': i}))",
            "bbpg_expandarray_n": "(a) AS unnest(generate_series(1, len(a)))",
            "bbpg_expandarray_x": "(a) AS unnest(a)",
        }
        for name, body in macros.items():
            self.connection.execute(f"CREATE MACRO {name}{body}")
        keywords = ", ".join(f"('{word}', 'R', true, 'reserved', 'can be bare label')" for word in _KEYWORDS)
        self.connection.execute(
            f"CREATE MACRO bbpg_get_keywords() AS TABLE SELECT * FROM (VALUES {keywords}) "
            "AS keywords(word, catcode, barelabel, catdesc, baredesc)"
        )

    def _io_function(self, name: str) -> int:
        """The pg_proc OID of a type's input/output/receive/send function (real ones for arrays)."""
        if name not in self._io_functions:
            self._io_functions[name] = _KNOWN_IO_OIDS.get(name, 80000 + len(self._io_functions))
        return self._io_functions[name]

    def _pg_rows(self) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in PG_TABLES}
        user = self.state.user
        for oid, name in sorted(self.namespaces.items()):
            rows["pg_namespace"].append({"oid": oid, "nspname": name})
        for name, oid in self.catalog_relations.items():
            specs = columns_of(PG_TABLES.get(name, ()))
            kind = "r" if name in SYSTEM_RELATIONS else "v"
            rows["pg_class"].append({"oid": oid, "relname": name, "relnamespace": PG_CATALOG_OID,
                                     "relam": 2 if kind == "r" else 0, "relkind": kind, "relnatts": len(specs)})
            for number, spec in enumerate(specs, start=1):
                column_type = result_type(spec.name, spec.type)
                rows["pg_attribute"].append({
                    "attrelid": oid, "attname": spec.name, "atttypid": column_type.oid, "attlen": column_type.size,
                    "attnum": number, "attnotnull": spec.default is not None,
                })
        for t in pgtypes.ALL_TYPES:
            rows["pg_type"].append({
                "oid": t.oid, "typname": t.name, "typlen": t.size, "typbyval": 0 < t.size <= 8,
                "typtype": "p" if t.category == "P" else "b", "typcategory": t.category,
                "typispreferred": t.name in ("text", "float8", "bool", "timestamptz", "oid", "interval"),
                "typelem": t.element_oid, "typarray": t.array_oid,
                **{column: self._io_function(f"array_{suffix}" if t.element_oid else f"{t.name}{suffix}")
                   for column, suffix in _IO_COLUMNS.items()},
                "typalign": "d" if t.size == 8 else ("c" if t.size == 1 else "i"),
                "typstorage": "x" if t.size == -1 else "p",
                "typcollation": 100 if t.category == "S" else 0,
                "typsubscript": "array_subscript_handler" if t.element_oid else "-",
            })
        for rel in self.relations.values():
            table = rel.table
            has_pk = bool(table.primary_key)
            rows["pg_class"].append({
                "oid": rel.oid, "relname": rel.name, "relnamespace": rel.namespace_oid, "reltype": rel.rowtype_oid,
                "relam": 2, "relnatts": len(table.columns), "relhasindex": has_pk, "relkind": "r",
            })
            rows["pg_type"].append({
                "oid": rel.rowtype_oid, "typname": rel.name, "typnamespace": rel.namespace_oid, "typlen": -1,
                "typtype": "c", "typcategory": "C", "typrelid": rel.oid,
                **{column: self._io_function(f"record_{suffix}") for column, suffix in _IO_COLUMNS.items()},
                "typalign": "d", "typstorage": "x",
            })
            if table.description:
                rows["pg_description"].append({"objoid": rel.oid, "classoid": SYSTEM_RELATIONS["pg_class"],
                                               "objsubid": 0, "description": table.description})
            for number, column in enumerate(table.columns, start=1):
                pg_type = pg_type_for(column.type)
                rows["pg_attribute"].append({
                    "attrelid": rel.oid, "attname": column.name, "atttypid": pg_type.oid,
                    "attlen": pg_type.size, "attnum": number, "atttypmod": type_modifier(column.type),
                    "attbyval": 0 < pg_type.size <= 8, "attnotnull": column.name in table.primary_key,
                    "attstorage": "x" if pg_type.size == -1 else "p",
                    "attcollation": 100 if pg_type.category == "S" else 0,
                })
                if column.description:
                    rows["pg_description"].append({"objoid": rel.oid, "classoid": SYSTEM_RELATIONS["pg_class"],
                                                   "objsubid": number, "description": column.description})
            rows["pg_tables"].append({"schemaname": rel.schema, "tablename": rel.name, "tableowner": user,
                                      "hasindexes": has_pk})
            for stats in ("pg_stat_user_tables", "pg_stat_all_tables"):
                rows[stats].append({"relid": rel.oid, "schemaname": rel.schema, "relname": rel.name})
            if not has_pk:
                continue
            keys = [rel.attnum(name) for name in table.primary_key]
            rows["pg_class"].append({
                "oid": rel.index_oid, "relname": rel.pkey_name, "relnamespace": rel.namespace_oid, "relam": 403,
                "relkind": "i", "relnatts": len(keys),
            })
            rows["pg_index"].append({
                "indexrelid": rel.index_oid, "indrelid": rel.oid, "indnatts": len(keys), "indnkeyatts": len(keys),
                "indisunique": True, "indisprimary": True, "indkey": keys, "indcollation": [0] * len(keys),
                "indclass": [3124] * len(keys), "indoption": [0] * len(keys),
            })
            for number, name in enumerate(table.primary_key, start=1):
                key_column = table.column(name)
                key_type = pg_type_for(key_column.type if key_column is not None else "VARCHAR")
                rows["pg_attribute"].append({
                    "attrelid": rel.index_oid, "attname": name, "atttypid": key_type.oid, "attlen": key_type.size,
                    "attnum": number, "attnotnull": True, "attcollation": 100 if key_type.category == "S" else 0,
                })
            rows["pg_constraint"].append({
                "oid": rel.constraint_oid, "conname": rel.pkey_name, "connamespace": rel.namespace_oid,
                "contype": "p", "conrelid": rel.oid, "conindid": rel.index_oid, "conkey": keys,
            })
            rows["pg_indexes"].append({"schemaname": rel.schema, "tablename": rel.name, "indexname": rel.pkey_name,
                                       "indexdef": self.indexdef(rel.index_oid)})
        rows["pg_database"].append({"oid": DATABASE_OID, "datname": self.state.database})
        for name, oid in (("template1", 1), ("template0", 4)):
            rows["pg_database"].append({"oid": oid, "datname": name, "datistemplate": True,
                                        "datallowconn": name == "template1"})
        rows["pg_roles"].append({"rolname": user, "oid": OWNER_OID})
        rows["pg_user"].append({"usename": user, "usesysid": OWNER_OID})
        rows["pg_authid"].append({"rolname": user, "oid": OWNER_OID, "rolpassword": None})
        for oid, name, kind in ((2, "heap", "t"), (403, "btree", "i"), (405, "hash", "i"), (783, "gist", "i"),
                                (2742, "gin", "i"), (4000, "spgist", "i"), (3580, "brin", "i")):
            rows["pg_am"].append({"oid": oid, "amname": name, "amhandler": f"{name}handler", "amtype": kind})
        rows["pg_extension"].append({"oid": 13550, "extname": "plpgsql", "extversion": "1.0"})
        for oid, name, provider in ((100, "default", "d"), (950, "C", "c"), (951, "POSIX", "c")):
            rows["pg_collation"].append({"oid": oid, "collname": name, "collprovider": provider,
                                         "collcollate": None if provider == "d" else name,
                                         "collctype": None if provider == "d" else name})
        rows["pg_tablespace"] += [{"oid": 1663, "spcname": "pg_default"}, {"oid": 1664, "spcname": "pg_global"}]
        for oid, name in ((12, "internal"), (13, "c"), (14, "sql"), (13549, "plpgsql")):
            rows["pg_language"].append({"oid": oid, "lanname": name, "lanispl": name == "plpgsql"})
        rows["pg_opclass"].append({"oid": 3124, "opcmethod": 403, "opcname": "text_ops", "opcnamespace": PG_CATALOG_OID,
                                   "opcowner": OWNER_OID, "opcfamily": 1994, "opcintype": 25, "opcdefault": True,
                                   "opckeytype": 0})
        for oid, (name, (_, _, returns)) in enumerate(sorted(FUNCTION_SIGNATURES.items()), start=90000):
            rows["pg_proc"].append({"oid": oid, "proname": name, "prorettype": returns})
        for name, oid in self._io_functions.items():
            rows["pg_proc"].append({"oid": oid, "proname": name, "prorettype": 2275 if name.endswith("out") else 0,
                                    "proisstrict": True, "provolatile": "i"})
        rows["pg_timezone_names"].append({"name": "UTC", "abbrev": "UTC", "is_dst": False})
        return rows

    def _settings_rows(self) -> list[dict[str, Any]]:
        rows = []
        for name in sorted(set(_SETTING_DESCRIPTIONS) | set(self.state.settings)):
            value = self.state.settings.get(name, "")
            rows.append({"name": name, "setting": value, "short_desc": _SETTING_DESCRIPTIONS.get(name, ""),
                         "boot_val": value, "reset_val": value})
        return rows

    def _info_rows(self) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in INFO_TABLES}
        catalog = self.state.database
        for name in ["pg_catalog", "information_schema", "public", *self.schemas]:
            rows["schemata"].append({"catalog_name": catalog, "schema_name": name, "schema_owner": self.state.user})
        rows["enabled_roles"].append({"role_name": self.state.user})
        rows["character_sets"].append({"character_set_name": "UTF8", "character_repertoire": "UCS",
                                       "form_of_use": "UTF8", "default_collate_catalog": catalog,
                                       "default_collate_schema": "pg_catalog", "default_collate_name": "C"})
        for rel in self.relations.values():
            table = rel.table
            base = {"table_catalog": catalog, "table_schema": rel.schema, "table_name": rel.name}
            # what the API can write (docs/writing.md), whatever this user may do (privileges say that)
            insertable = "YES" if "insert" in table.operations else "NO"
            rows["tables"].append({**base, "table_type": "BASE TABLE", "is_insertable_into": insertable})
            for number, column in enumerate(table.columns, start=1):
                pg_type = pg_type_for(column.type)
                rows["columns"].append({
                    **base, "column_name": column.name, "ordinal_position": number,
                    "is_updatable": "YES" if "update" in table.writable_kinds(column.name) else "NO",
                    "is_nullable": "NO" if column.name in table.primary_key else "YES",
                    "data_type": pg_type.display_name, "udt_catalog": catalog, "udt_name": pg_type.name,
                    "dtd_identifier": str(number), "column_comment": column.description,
                    **_numeric_facts(pg_type),
                })
            if not table.primary_key:
                continue
            constraint = {"constraint_catalog": catalog, "constraint_schema": rel.schema,
                          "constraint_name": rel.pkey_name}
            rows["table_constraints"].append({**constraint, **base, "constraint_type": "PRIMARY KEY"})
            for position, name in enumerate(table.primary_key, start=1):
                rows["key_column_usage"].append({**constraint, **base, "column_name": name,
                                                 "ordinal_position": position})
                rows["constraint_column_usage"].append({**constraint, **base, "column_name": name})
        return rows

    # --- queries ---------------------------------------------------------------------------
    def run(self, sql: str, functions: Sequence[tuple[str, int]], relations: Sequence[tuple[str, str]] = (),
            max_rows: int | None = None) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """Run translated SQL (after creating the relations it reads and the ``bbpg_*`` functions it calls).

        At most ``max_rows + 1`` rows are fetched (the caller tells "more than max_rows" from it).
        """
        self.ensure(relations)
        with self._lock:
            for name, arity in functions:
                self._register(name, arity)
            result = self.connection.execute(sql)
            names = [column[0] for column in result.description or []]
            types = [str(column[1]) for column in result.description or []]
            rows = result.fetchall() if max_rows is None else result.fetchmany(max_rows + 1)
            return names, types, rows

    def describe(self, sql: str, functions: Sequence[tuple[str, int]],
                 relations: Sequence[tuple[str, str]] = ()) -> tuple[list[str], list[str]]:
        """Result column names and types of translated SQL, without running it."""
        self.ensure(relations)
        with self._lock:
            for name, arity in functions:
                self._register(name, arity)
            relation = self.connection.sql(sql)
            return list(relation.columns), [str(t) for t in relation.types]

    def update_setting(self, name: str, value: str) -> None:
        """Keep ``pg_settings`` in step with SET (once created; it is built from the settings)."""
        with self._lock:
            if (PG_SCHEMA, "pg_settings") not in self._created:
                return
            updated = self.connection.execute(
                f'UPDATE "{PG_SCHEMA}".pg_settings SET setting = ? WHERE name = ? RETURNING name', [value, name]
            ).fetchall()
            if not updated:
                self.connection.execute(
                    f'INSERT INTO "{PG_SCHEMA}".pg_settings (name, setting, short_desc, context, vartype, source) '
                    "VALUES (?, ?, '', 'user', 'string', 'session')", [name, value]
                )

    def close(self) -> None:
        self.connection.close()

    def _register(self, name: str, arity: int) -> None:
        key = f"bbpg_{name}_{arity}"
        if key in self._registered:
            return
        implementation, returns, _ = FUNCTION_SIGNATURES[name]
        fn = _bind(implementation, self, arity)
        self.connection.create_function(
            key, fn, [duckdb.sqltype("VARCHAR")] * arity, duckdb.sqltype(returns),
            null_handling=duckdb_func.SPECIAL, side_effects=name in _VOLATILE,
        )
        self._registered.add(key)

    # --- lookups the functions use ----------------------------------------------------------
    def relation_name(self, oid: int) -> str | None:
        rel = self.relations.get(oid)
        if rel is not None:
            visible = rel.schema in self.state.search_path
            return rel.name if visible else f"{_quote_ident(rel.schema)}.{_quote_ident(rel.name)}"
        index = self.indexes.get(oid)
        if index is not None:
            return index.pkey_name
        return self.system_relations.get(oid, str(oid))

    def relation_oid(self, name: str) -> int | None:
        text = name.strip()
        if text.isdigit():
            return int(text)
        parts = [_unquote(part) for part in _split_qualified(text)]
        wanted_schema = parts[0] if len(parts) > 1 else None
        wanted = parts[-1]
        if wanted_schema in (None, "pg_catalog") and wanted in self.catalog_relations:
            return self.catalog_relations[wanted]
        search = [wanted_schema] if wanted_schema else self.state.search_path
        for schema in search:
            for rel in self.relations.values():
                if rel.schema == schema and rel.name == wanted:
                    return rel.oid
                if rel.schema == schema and rel.pkey_name == wanted and rel.table.primary_key:
                    return rel.index_oid
        return None

    def function_oid(self, name: str) -> int | None:
        """``'pg_catalog.array_in'::regproc``: the pg_proc OID of a function (the I/O ones and ours)."""
        text = name.strip()
        if text.isdigit():
            return int(text)
        wanted = _unquote(_split_qualified(text)[-1])
        if not self._io_functions:
            self._rows_of(PG_SCHEMA, "pg_type")  # allocates the I/O functions' OIDs
        if wanted in self._io_functions:
            return self._io_functions[wanted]
        names = sorted(FUNCTION_SIGNATURES)
        return 90000 + names.index(wanted) if wanted in names else None

    def function_name(self, oid: int) -> str:
        if not self._io_functions:
            self._rows_of(PG_SCHEMA, "pg_type")
        for name, known in self._io_functions.items():
            if known == oid:
                return name
        names = sorted(FUNCTION_SIGNATURES)
        return names[oid - 90000] if 0 <= oid - 90000 < len(names) else "-" if oid == 0 else str(oid)

    def type_oid(self, name: str) -> int | None:
        text = name.strip()
        if text.isdigit():
            return int(text)
        pg_type = pgtypes.pg_type_named(text)
        return pg_type.oid if pg_type is not None else None

    def indexdef(self, oid: int, column: int = 0) -> str | None:
        rel = self.indexes.get(oid)
        if rel is None:
            return None
        keys = list(rel.table.primary_key)
        if column > 0:
            return keys[column - 1] if column <= len(keys) else ""
        columns = ", ".join(_quote_ident(key) for key in keys)
        return (f"CREATE UNIQUE INDEX {_quote_ident(rel.pkey_name)} ON {_quote_ident(rel.schema)}."
                f"{_quote_ident(rel.name)} USING btree ({columns})")

    def constraintdef(self, oid: int) -> str | None:
        rel = self.constraints.get(oid)
        if rel is None:
            return None
        return f"PRIMARY KEY ({', '.join(_quote_ident(key) for key in rel.table.primary_key)})"

    def description(self, oid: int, subid: int = 0) -> str | None:
        rel = self.relations.get(oid)
        if rel is None:
            return None
        if subid == 0:
            return rel.table.description or None
        if 0 < subid <= len(rel.table.columns):
            return rel.table.columns[subid - 1].description or None
        return None

    def table_visible(self, oid: int) -> bool:
        if oid in self.system_relations:
            return True
        rel = self.relations.get(oid) or self.indexes.get(oid)
        if rel is None:
            return False
        search = self.state.search_path
        if rel.schema not in search:
            return False
        # the first schema of the search path holding a table of that name hides the others
        first = next(schema for schema in search if schema in self.schemas)
        return rel.schema == first

    def current_schema(self) -> str | None:
        for schema in self.state.search_path:
            if schema in self.namespaces.values():
                return schema
        return None


def _numeric_facts(pg_type: pgtypes.PgType) -> dict[str, Any]:
    precision = {20: 64, 23: 32, 21: 16, 701: 53, 700: 24}.get(pg_type.oid)
    if precision is not None:
        return {"numeric_precision": precision, "numeric_precision_radix": 2,
                "numeric_scale": 0 if pg_type.oid in (20, 21, 23) else None}
    if pg_type.category == "D":
        return {"datetime_precision": 6}
    return {}


def _split_qualified(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == "." and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] == '"':
        return part[1:-1].replace('""', '"')
    return part.lower()


_PLAIN_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")
_RESERVED = frozenset({"all", "and", "any", "array", "as", "asc", "case", "cast", "check", "column", "constraint",
                       "create", "default", "desc", "distinct", "do", "else", "end", "false", "for", "foreign",
                       "from", "grant", "group", "having", "in", "into", "limit", "not", "null", "offset", "on",
                       "or", "order", "primary", "references", "select", "table", "then", "to", "true", "union",
                       "unique", "user", "using", "when", "where", "with", "current_user", "session_user"})


def _quote_ident(name: str) -> str:
    """PostgreSQL's ``quote_ident``: quotes only when the name needs them."""
    if _PLAIN_IDENTIFIER.match(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL's functions ---------------------------------------------------------------
# Each gets its arguments as text (translate casts them) and the catalog; arity is free.


def _int(value: str | None, default: int = 0) -> int:
    if value is None:
        return default
    try:
        return int(float(value))
    except ValueError:
        return default


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "t", "1", "yes", "on")


def _version(cat: PgCatalog, *args: str | None) -> str:
    return (f"PostgreSQL {SERVER_VERSION} (bitbucket-sql {__version__}, Bitbucket Cloud over SQL) on "
            f"x86_64-pc-linux-gnu, compiled by bitbucket-sql, 64-bit")


def _has_table_privilege(cat: PgCatalog, *args: str | None) -> bool:
    """SELECT always; INSERT/UPDATE/DELETE for read-write users on tables whose API has that write
    (``DELETE`` on pull_requests is false: Bitbucket cannot delete one); nothing else."""
    privilege = (args[-1] or "").upper() if args else "SELECT"
    words = [word.strip().removesuffix(" WITH GRANT OPTION") for word in privilege.split(",")]
    if all(word in ("SELECT", "REFERENCES", "") for word in words):
        return True
    if not cat.state.can_write:
        return False
    table = _privilege_table(cat, args[-2] if len(args) >= 2 else None)
    if table is None:
        return True  # a column or unknown relation: the user's right decides
    operations = {kind.upper() for kind in table.operations}
    return any(word in operations for word in words if word not in ("SELECT", "REFERENCES", ""))


def _privilege_table(cat: PgCatalog, name: str | None) -> TableDef | None:
    """The catalog table a has_*_privilege argument names (an OID or a [schema.]name), if any."""
    text = (name or "").strip()
    if text.isdigit():
        relation = cat.relations.get(int(text))
        return relation.table if relation is not None else None
    return registry.get_table(text.rsplit(".", 1)[-1].strip('"')) if text else None


def _current_setting(cat: PgCatalog, *args: str | None) -> str | None:
    name = (args[0] or "").lower() if args else ""
    return cat.state.settings.get(name, "" if args[1:] and _truthy(args[1]) else None)


def _set_config(cat: PgCatalog, *args: str | None) -> str | None:
    name = (args[0] or "").lower() if args else ""
    value = args[1] if len(args) > 1 else None
    if name in READ_ONLY_SETTINGS:
        raise ValueError(f'parameter "{name}" cannot be changed')
    if name:
        cat.state.settings[name] = value or ""
    return value


def _regclass_text(cat: PgCatalog, *args: str | None) -> str | None:
    if not args or args[0] is None:
        return None
    text = args[0]
    return cat.relation_name(int(text)) if text.strip().isdigit() else text


def _regtype_text(cat: PgCatalog, *args: str | None) -> str | None:
    if not args or args[0] is None:
        return None
    text = args[0]
    if not text.strip().isdigit():
        return text
    oid = int(text)
    for rel in cat.relations.values():
        if rel.rowtype_oid == oid:
            return rel.name
    return pgtypes.format_type(oid, -1) if oid in pgtypes.BY_OID else text


def _regnamespace_text(cat: PgCatalog, *args: str | None) -> str | None:
    if not args or args[0] is None:
        return None
    return cat.namespaces.get(_int(args[0]), args[0])


def _namespace_oid(cat: PgCatalog, *args: str | None) -> int | None:
    if not args or args[0] is None:
        return None
    text = args[0].strip()
    if text.isdigit():
        return int(text)
    wanted = _unquote(text)
    return next((oid for oid, name in cat.namespaces.items() if name == wanted), None)


def _current_schemas(cat: PgCatalog, *args: str | None) -> list[str]:
    found = [schema for schema in cat.state.search_path if schema in cat.namespaces.values()]
    return (["pg_catalog"] if args and _truthy(args[0]) else []) + found


_Impl = Callable[..., Any]

#: name -> (implementation, DuckDB return type, PostgreSQL return type OID for pg_proc)
FUNCTION_SIGNATURES: dict[str, tuple[_Impl, str, int]] = {
    "version": (_version, "VARCHAR", 25),
    "current_schema": (lambda cat, *a: cat.current_schema(), "VARCHAR", 19),
    "current_schemas": (_current_schemas, "VARCHAR[]", 1003),
    "current_database": (lambda cat, *a: cat.state.database, "VARCHAR", 19),
    "current_catalog": (lambda cat, *a: cat.state.database, "VARCHAR", 19),
    "current_user": (lambda cat, *a: cat.state.user, "VARCHAR", 19),
    "current_role": (lambda cat, *a: cat.state.user, "VARCHAR", 19),
    "session_user": (lambda cat, *a: cat.state.user, "VARCHAR", 19),
    "user": (lambda cat, *a: cat.state.user, "VARCHAR", 19),
    "current_setting": (_current_setting, "VARCHAR", 25),
    "set_config": (_set_config, "VARCHAR", 25),
    "format_type": (lambda cat, *a: pgtypes.format_type(None if not a or a[0] is None else _int(a[0]),
                                                         _int(a[1], -1) if len(a) > 1 else -1), "VARCHAR", 25),
    "pg_get_expr": (lambda cat, *a: a[0] if a else None, "VARCHAR", 25),
    "pg_get_indexdef": (lambda cat, *a: cat.indexdef(_int(a[0]), _int(a[1]) if len(a) > 1 else 0)
                        if a and a[0] is not None else None, "VARCHAR", 25),
    "pg_get_constraintdef": (lambda cat, *a: cat.constraintdef(_int(a[0])) if a and a[0] is not None else None,
                             "VARCHAR", 25),
    "pg_get_viewdef": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_triggerdef": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_ruledef": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_function_result": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_function_arguments": (lambda cat, *a: "", "VARCHAR", 25),
    "pg_get_function_identity_arguments": (lambda cat, *a: "", "VARCHAR", 25),
    "pg_get_statisticsobjdef_columns": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_partkeydef": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_serial_sequence": (lambda cat, *a: None, "VARCHAR", 25),
    "pg_get_userbyid": (lambda cat, *a: (cat.state.user if _int(a[0]) == OWNER_OID else f"unknown (OID={a[0]})")
                        if a and a[0] is not None else None, "VARCHAR", 19),
    "pg_encoding_to_char": (lambda cat, *a: {6: "UTF8", 0: "SQL_ASCII"}.get(_int(a[0]), "")
                            if a and a[0] is not None else None, "VARCHAR", 19),
    "pg_char_to_encoding": (lambda cat, *a: 6 if a and (a[0] or "").upper().replace("-", "") == "UTF8" else -1,
                            "INTEGER", 23),
    "pg_table_is_visible": (lambda cat, *a: cat.table_visible(_int(a[0])) if a and a[0] is not None else None,
                            "BOOLEAN", 16),
    "pg_type_is_visible": (lambda cat, *a: True, "BOOLEAN", 16),
    "pg_function_is_visible": (lambda cat, *a: True, "BOOLEAN", 16),
    "pg_collation_is_visible": (lambda cat, *a: True, "BOOLEAN", 16),
    "pg_opclass_is_visible": (lambda cat, *a: True, "BOOLEAN", 16),
    "pg_relation_is_publishable": (lambda cat, *a: False, "BOOLEAN", 16),
    "pg_is_in_recovery": (lambda cat, *a: False, "BOOLEAN", 16),
    "pg_is_other_temp_schema": (lambda cat, *a: False, "BOOLEAN", 16),
    "pg_my_temp_schema": (lambda cat, *a: 0, "BIGINT", 26),
    "pg_backend_pid": (lambda cat, *a: 1, "INTEGER", 23),
    "pg_relation_size": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_total_relation_size": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_table_size": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_indexes_size": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_database_size": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_stat_get_numscans": (lambda cat, *a: 0, "BIGINT", 20),
    "pg_get_partition_constraintdef": (lambda cat, *a: None, "VARCHAR", 25),
    "obj_description": (lambda cat, *a: cat.description(_int(a[0])) if a and a[0] is not None else None,
                        "VARCHAR", 25),
    "col_description": (lambda cat, *a: cat.description(_int(a[0]), _int(a[1]) if len(a) > 1 else 0)
                        if a and a[0] is not None else None, "VARCHAR", 25),
    "shobj_description": (lambda cat, *a: None, "VARCHAR", 25),
    "has_table_privilege": (_has_table_privilege, "BOOLEAN", 16),
    "has_any_column_privilege": (_has_table_privilege, "BOOLEAN", 16),
    "has_column_privilege": (_has_table_privilege, "BOOLEAN", 16),
    "has_schema_privilege": (lambda cat, *a: True, "BOOLEAN", 16),
    "has_database_privilege": (lambda cat, *a: True, "BOOLEAN", 16),
    "has_function_privilege": (lambda cat, *a: True, "BOOLEAN", 16),
    "has_sequence_privilege": (lambda cat, *a: False, "BOOLEAN", 16),
    "pg_has_role": (lambda cat, *a: True, "BOOLEAN", 16),
    "quote_ident": (lambda cat, *a: _quote_ident(a[0]) if a and a[0] is not None else None, "VARCHAR", 25),
    "to_regclass": (lambda cat, *a: cat.relation_oid(a[0]) if a and a[0] is not None else None, "BIGINT", 2205),
    "to_regtype": (lambda cat, *a: cat.type_oid(a[0]) if a and a[0] is not None else None, "BIGINT", 2206),
    "to_regnamespace": (_namespace_oid, "BIGINT", 4089),
    "regclass_in": (lambda cat, *a: cat.relation_oid(a[0]) if a and a[0] is not None else None, "BIGINT", 2205),
    "regtype_in": (lambda cat, *a: cat.type_oid(a[0]) if a and a[0] is not None else None, "BIGINT", 2206),
    "regnamespace_in": (_namespace_oid, "BIGINT", 4089),
    "regproc_in": (lambda cat, *a: cat.function_oid(a[0]) if a and a[0] is not None else None, "BIGINT", 24),
    "regproc_out": (lambda cat, *a: cat.function_name(_int(a[0])) if a and a[0] is not None else None,
                    "VARCHAR", 25),
    "regclass_out": (_regclass_text, "VARCHAR", 25),
    "regtype_out": (_regtype_text, "VARCHAR", 25),
    "regnamespace_out": (_regnamespace_text, "VARCHAR", 25),
    "txid_current": (lambda cat, *a: 1, "BIGINT", 20),
    "inet_server_addr": (lambda cat, *a: None, "VARCHAR", 869),
    "inet_server_port": (lambda cat, *a: None, "INTEGER", 23),
    "inet_client_addr": (lambda cat, *a: None, "VARCHAR", 869),
    "pg_postmaster_start_time": (lambda cat, *a: None, "TIMESTAMPTZ", 1184),
    "pg_typeof": (lambda cat, *a: "unknown", "VARCHAR", 2206),
}

#: functions with side effects (never constant-folded or skipped)
_VOLATILE = frozenset({"set_config"})


def _bind(implementation: _Impl, catalog: PgCatalog, arity: int) -> Callable[..., Any]:
    """A function of exactly ``arity`` parameters (DuckDB reads the Python signature)."""
    def call(*args: str | None) -> Any:
        return implementation(catalog, *args)

    factories: dict[int, Callable[[], Callable[..., Any]]] = {
        0: lambda: lambda: call(),
        1: lambda: lambda a: call(a),
        2: lambda: lambda a, b: call(a, b),
        3: lambda: lambda a, b, c: call(a, b, c),
        4: lambda: lambda a, b, c, d: call(a, b, c, d),
        5: lambda: lambda a, b, c, d, e: call(a, b, c, d, e),
    }
    if arity not in factories:
        raise duckdb.InvalidInputException(f"{arity} arguments are more than this server's functions take")
    return factories[arity]()


#: settings a session cannot change (SET and set_config() refuse them)
READ_ONLY_SETTINGS = frozenset({"server_version", "server_version_num", "server_encoding", "integer_datetimes",
                                "max_identifier_length", "lc_collate", "lc_ctype", "is_superuser"})

#: PostgreSQL's reserved key words (``pg_get_keywords()``, which editors use for highlighting)
_KEYWORDS = (
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast", "check",
    "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role", "current_time",
    "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end", "except",
    "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially", "intersect", "into",
    "lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or",
    "order", "placing", "primary", "references", "returning", "select", "session_user", "some", "symmetric",
    "table", "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when", "where",
    "window", "with",
)

_SETTING_DESCRIPTIONS: dict[str, str] = {
    "application_name": "Sets the application name to be reported in statistics and logs.",
    "client_encoding": "Sets the client's character set encoding.",
    "client_min_messages": "Sets the message levels that are sent to the client.",
    "datestyle": "Sets the display format for date and time values.",
    "default_transaction_isolation": "Sets the transaction isolation level of each new transaction.",
    "default_transaction_read_only": "Sets the default read-only status of new transactions.",
    "extra_float_digits": "Sets the number of digits displayed for floating-point values.",
    "integer_datetimes": "Shows whether datetimes are integer based.",
    "intervalstyle": "Sets the display format for interval values.",
    "is_superuser": "Shows whether the current user is a superuser.",
    "lc_collate": "Shows the collation order locale.",
    "lc_ctype": "Shows the character classification and case conversion locale.",
    "lc_messages": "Sets the language in which messages are displayed.",
    "lc_monetary": "Sets the locale for formatting monetary amounts.",
    "lc_numeric": "Sets the locale for formatting numbers.",
    "lc_time": "Sets the locale for formatting date and time values.",
    "max_identifier_length": "Shows the maximum identifier length.",
    "search_path": "Sets the schema search order for names that are not schema-qualified.",
    "server_encoding": "Shows the server (database) character set encoding.",
    "server_version": "Shows the server version.",
    "server_version_num": "Shows the server version as an integer.",
    "session_authorization": "Sets the session user name.",
    "standard_conforming_strings": "Causes '...' strings to treat backslashes literally.",
    "statement_timeout": "Sets the maximum allowed duration of any statement.",
    "timezone": "Sets the time zone for displaying and interpreting time stamps.",
    "transaction_isolation": "Sets the current transaction's isolation level.",
    "transaction_read_only": "Sets the current transaction's read-only status.",
    "default_table_access_method": "Sets the default table access method for new tables.",
    "bytea_output": "Sets the output format for bytea.",
    "lock_timeout": "Sets the maximum allowed duration of any wait for a lock.",
    "idle_in_transaction_session_timeout": "Sets the maximum allowed idle time between queries in a transaction.",
}
