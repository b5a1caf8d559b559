"""Test data built through the same operations the app uses (CKAN's factories go through actions)."""

from __future__ import annotations

import itertools

from stdnum.cn import uscc as uscc_mod

_counter = itertools.count(1)

#: python-stdnum's own doctest example, a valid 统一社会信用代码
VALID_USCC = "91110000600037341L"


def make_uscc(n: int | None = None) -> str:
    """A fresh valid credit code: 17 characters from a counter plus the computed check digit."""
    n = next(_counter) if n is None else n
    body = f"9144190{n:010d}"  # 91 = enterprise, 441900 = Dongguan
    return body + uscc_mod.calc_check_digit(body)


def make_institution(**overrides):  # noqa: ANN003, ANN201
    """Register an institution through the real operation (validation included)."""
    from registry.institutions.operations import register_institution
    from registry.models import CarrierType

    fields = {"name": "示例孵化器", "category": CarrierType.INCUBATOR, "subclass": "comprehensive",
              "uscc": make_uscc(), "town": "songshanhu", "legal_form": "enterprise", **overrides}
    return register_institution(**fields)


def make_user(role: str = "admin", *, username: str | None = None, password: str = "correct horse battery",
              institution=None):  # noqa: ANN001, ANN201
    """Create an account directly (the accounts operations may add auditing on top)."""
    from registry.extensions import db
    from registry.models import Role, User

    user = User(username=username or f"{role}{next(_counter)}", role=Role(role),
                institution_id=getattr(institution, "id", None))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def login(client, username: str, password: str = "correct horse battery"):  # noqa: ANN001, ANN201
    """Log in through the real form; returns the response."""
    return client.post("/auth/login", data={"username": username, "password": password})
