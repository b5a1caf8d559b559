"""`fuhua export` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

export_cli = AppGroup("export", help="Exports.")
