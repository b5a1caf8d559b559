#!/usr/bin/env bash
# Re-extract messages, merge them into the zh_Hans_CN catalogue, optionally fill translations
# from a JSON file ({"msgid": "译文"}), and compile. Usage: tools/i18n.sh [translations.json]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m babel.messages.frontend extract -q -F babel.cfg -k _l -k N_ -o /tmp/fuhua-messages.pot . 2>/dev/null \
  || "$PY" -m babel.messages.frontend extract -F babel.cfg -k _l -k N_ -o /tmp/fuhua-messages.pot .
"$PY" -m babel.messages.frontend update -i /tmp/fuhua-messages.pot -d registry/translations -l zh_Hans_CN --no-fuzzy-matching
[ $# -ge 1 ] && "$PY" tools/fill_po.py "$1"
"$PY" -m babel.messages.frontend compile -d registry/translations
