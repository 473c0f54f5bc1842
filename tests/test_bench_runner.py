"""`bench/run_all.py --quick` (run by CI) fails when a benchmark crashes, not when it only
misses its target at smoke-test sizes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import flask_migrate
import psycopg
from alembic.config import Config
from alembic.script import ScriptDirectory
from conftest import REPO
from sqlalchemy import inspect, text

from quizapp.extensions import db

sys.path.insert(0, str(REPO / "bench"))
import _common as common
import run_all


def test_a_crashing_benchmark_fails_the_quick_run_and_a_missed_target_does_not(
    tmp_path, monkeypatch, capsys
):
    missed = tmp_path / "bench_missed.py"
    missed.write_text("import sys\nprint('a table')\nsys.exit(1)\n")
    crashed = tmp_path / "bench_crashed.py"
    crashed.write_text("print('half a table')\nraise RuntimeError('a renamed attribute')\n")

    monkeypatch.setattr(run_all, "BENCHMARKS", [("missed", str(missed), "Missed", [], [])])
    assert run_all.main(["--quick"]) == 0
    monkeypatch.setattr(run_all, "BENCHMARKS", [
        ("missed", str(missed), "Missed", [], []),
        ("crashed", str(crashed), "Crashed", [], []),
    ])
    assert run_all.main(["--quick"]) == 1
    out = capsys.readouterr().out
    assert "FAILED (crashed, exit 1)" in out and "every benchmark ran: NO: crashed" in out



def test_a_run_migrates_once_and_copies_that_schema_for_every_database(
    tmp_path, monkeypatch
):
    engine = ("postgresql" if os.environ.get("QUIZAPP_TEST_DATABASE_URL", "")
              .startswith("postgresql") else "sqlite")
    config = Config()
    config.set_main_option("script_location", str(REPO / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    migrations = []
    real_upgrade = flask_migrate.upgrade

    def counted_upgrade(*args, **kwargs):
        migrations.append(1)
        return real_upgrade(*args, **kwargs)

    monkeypatch.setattr(flask_migrate, "upgrade", counted_upgrade)
    seen = []
    with run_all._schema_cache():
        cache = Path(os.environ[common.SCHEMA_CACHE_ENV])
        for prefix in ("first", "second"):
            with common.database(engine, f"cache_{prefix}", tmp_path) as url:
                app = common.make_app(url)
                with app.app_context():
                    tables = set(inspect(db.engine).get_table_names())
                    seen.append((
                        db.session.scalar(text("SELECT version_num FROM alembic_version")),
                        {"user", "deck", "card", "card_state", "review_log"} <= tables,
                        "bench_probe" in tables,
                    ))
                    db.session.execute(text("CREATE TABLE bench_probe (id integer)"))
                    db.session.commit()
                    db.session.remove()
                    db.engine.dispose()
        template = (cache / "postgresql").read_text() if engine == "postgresql" else ""

    # Migrated once (the cache's own database); each copy is at the head with every table,
    # and is a copy of the schema, not of the database before it.
    assert migrations == [1]
    assert seen == [(head, True, False), (head, True, False)]
    assert not cache.exists()
    if template:
        with psycopg.connect(common.pg_url(common.PG_ADMIN_DB, "postgresql")) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                (template,)).fetchone() is None
