"""`fuhua demo load`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Synthetic demo data.")


def load_demo(scale: str = "city", seed: int = 2020) -> None:
    raise NotImplementedError  # filled in by the demo-data work
