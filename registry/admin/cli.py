"""`fuhua users` commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Accounts.")
