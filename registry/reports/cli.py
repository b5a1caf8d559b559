"""`fuhua reports` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

reports_cli = AppGroup("reports", help="Self-reports.")
roster_cli = AppGroup("roster", help="The bureau's roster spreadsheet.")
