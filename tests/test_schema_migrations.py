"""The Alembic history tells the truth: shipped revisions never change, one chain from
0004_one_chain on, the models agree with the migrations, and a database built at any
earlier revision upgrades with its rows intact."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from persistence.db import MIGRATIONS_DIR, alembic_config, make_engine, upgrade

VERSIONS = MIGRATIONS_DIR / "versions"

# SHA-256 of every revision file that has shipped on main.  A shipped revision is never
# edited: change the schema with a new revision instead.  Add a new file's checksum here
# in the change that adds it.
SHIPPED = {
    "0001_core.py": "dad3319cadd2bfbd159ff07cde395069dd6f8774f8a7b659d7b254c232a56027",
    "0002_clocks.py": "f8cb8f5181d5e21d8059e64aaec9811b902467deff3e62bef042282785337bc7",
    "0003_accounts.py": "c120a496b055fd7ace12ebd9f87eba0a247049b2a930f76941693c592848e11c",
    "0003_case_numbers.py": "96d3755079f361e3c1f4732b0d70fb576a2b74c1c280077c300d6b4e4ad7f318",
    "0004_one_chain.py": "3ab0ffe55d20eb79276781c326e5843a547681948ed3cc176d6b92360bade3bd",
    "0004_case_numbers_taken.py": "e8b9873daeb78a5f2285cd49730bcac0b206b333186632d65d5ae58896f01a9f",
    "0005_documents.py": "d51bfe833639aa52346d18c0dcc8e1f799dfcc946954bb19acae9d67e6c0175f",
    "0006_case_search.py": "e95ca4b84fb9b4a91a02082bc3e54e512c97b0d35fc469d60d56b724b909ae06",
    "0007_bulletins.py": "ba17ec68efed29afc9ea5eda786aa196fc7e8f6f3af2361b9003ac4394ceefba",
    "0008_notifications.py": "16dbd1d52088f14953b1d0314264fbe30782f1577d6bdbf6ad8dde271396ffb6",
    "0009_login_throttle.py": "060f9a5ab5a9a42efea75382d6f758120292e0176dfbce3be7d7491d6bb53fe9",
    "0010_scale_read_paths.py": "dadb716227a70c8fe09738443f802cef930906ab5795d77715a7d6b47ba11d1a",
}
LINEAR_FROM = "0004_one_chain"


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_revisions_keep_their_checksums():
    changed = {name: _sha(VERSIONS / name) for name, digest in SHIPPED.items() if _sha(VERSIONS / name) != digest}
    assert not changed, f"shipped migrations were edited (add a new revision instead): {sorted(changed)}"


def test_every_revision_file_is_listed_as_shipped():
    files = {p.name for p in VERSIONS.glob("*.py")}
    unlisted = sorted(files - set(SHIPPED))
    assert not unlisted, f"add the checksum of {unlisted} to SHIPPED in this test"


def test_the_history_has_one_head_and_is_linear_after_the_join():
    script = _script()
    assert script.get_heads() == [script.get_current_head()], script.get_heads()
    rev = script.get_revision(script.get_current_head())
    while rev.revision != LINEAR_FROM:
        assert isinstance(rev.down_revision, str), f"{rev.revision} does not follow one parent"
        # (branch_labels also holds labels inherited from the shipped branches below the join)
        assert not rev._orig_branch_labels, f"{rev.revision} starts a branch"
        rev = script.get_revision(rev.down_revision)


def _empty_database(db_url: str, request) -> str:
    """An empty database on the backend of ``db_url`` (the fixtures hand out migrated ones)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{request.getfixturevalue('tmp_path') / 'empty.sqlite3'}"
    server = request.getfixturevalue("pg_server")
    name = f"e_{uuid.uuid4().hex[:12]}"
    server.admin(f"CREATE DATABASE {name}")
    return server.url(name)


def test_models_and_migrations_agree(db_url, request):
    url = _empty_database(db_url, request)
    upgrade(url)
    command.check(alembic_config(url))  # raises when autogenerate would emit operations


def _earlier_revisions() -> list[str]:
    script = _script()
    head = script.get_current_head()
    return sorted(r.revision for r in script.walk_revisions() if r.revision != head)


_SAMPLE_AT = dt.datetime(2026, 11, 20, 9, 30)


def _sample(column: sa.Column, n: int):
    t = column.type
    if isinstance(t, sa.Boolean):
        return True
    if isinstance(t, sa.Integer):
        return n
    if isinstance(t, (sa.Numeric, sa.Float)):
        return n
    if isinstance(t, sa.DateTime):
        return _SAMPLE_AT
    if isinstance(t, sa.Date):
        return _SAMPLE_AT.date()
    if isinstance(t, sa.JSON):
        return {"sample": n}
    if isinstance(t, sa.LargeBinary):
        return b"\x00sample"
    if isinstance(t, sa.String):
        return f"s{n}"[: t.length or 20]
    return f"s{n}"


def _fill(url: str) -> dict[str, list[dict]]:
    """One row in every table, foreign keys pointing at the rows made before."""
    eng = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(eng)
    rows: dict[str, list[dict]] = {}
    with eng.begin() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            row = {}
            for i, column in enumerate(table.columns, start=1):
                fk = next(iter(column.foreign_keys), None)
                if fk is not None:
                    row[column.name] = rows[fk.column.table.name][0][fk.column.name]
                else:
                    row[column.name] = _sample(column, i)
            conn.execute(table.insert().values(**row))
            rows[table.name] = [row]
    eng.dispose()
    return rows


@pytest.mark.parametrize("revision", _earlier_revisions())
def test_a_database_built_at_an_earlier_revision_upgrades_with_its_rows(revision, db_url, request):
    url = _empty_database(db_url, request)
    command.upgrade(alembic_config(url), revision)
    before = _fill(url)
    upgrade(url)
    eng = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(eng)
    with eng.connect() as conn:
        for name, rows in before.items():
            assert name in meta.tables, f"{revision} -> head dropped table {name}"
            table = meta.tables[name]
            kept = [dict(r._mapping) for r in conn.execute(sa.select(table))]
            assert len(kept) == len(rows), f"{name}: {len(rows)} row(s) before, {len(kept)} after"
            for column, value in rows[0].items():
                if column in table.columns and not isinstance(value, dt.datetime):
                    assert kept[0][column] == value, f"{name}.{column} changed in the upgrade from {revision}"
    eng.dispose()
