#!/usr/bin/env bash
# Rebuild the single initial migration from the models. Only while no deployed database exists:
# after the first release, add incremental migrations with `fuhua db migrate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
rm -f registry/migrations/versions/*_initial_schema.py /tmp/fuhua-migrate.sqlite
FUHUA_DATABASE_URL=sqlite:////tmp/fuhua-migrate.sqlite PYTHONPATH=. "$PY" -m registry db migrate -m "initial schema" >/dev/null 2>&1
file=$(ls registry/migrations/versions/*_initial_schema.py)
"$PY" - "$file" <<'PYEOF'
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
guard = '''
    # The audit log is append-only: refuse UPDATE and DELETE in the database itself
    # (same DDL as registry/models/audit.py runs for create_all; autogenerate does not see triggers).
    from registry.models.audit import AUDIT_GUARD_POSTGRESQL, AUDIT_GUARD_SQLITE

    dialect = op.get_bind().dialect.name
    for statement in {"postgresql": AUDIT_GUARD_POSTGRESQL, "sqlite": AUDIT_GUARD_SQLITE}.get(dialect, ()):
        op.execute(statement)
'''
marker = "    # ### end Alembic commands ###\n"
head, sep, tail = text.partition(marker)  # the first marker closes upgrade()
text = head + sep + guard + tail
open(path, "w", encoding="utf-8").write(text)
PYEOF
echo "$file"
