"""`fuhua systems` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

systems_cli = AppGroup("systems", help="Indicator systems.")
assess_cli = AppGroup("assess", help="Annual assessment runs.")
