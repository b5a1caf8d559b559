"""The read-only JSON API (/api/v1): counts by their published definitions, the registry, public records.

Authenticated by bearer tokens only (registry.api.tokens): the session cookie is never read or
set here, so a logged-in browser gets no access through it, and CSRF protection (which guards
cookie-authenticated forms) does not apply.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from registry.api import views  # noqa: E402,F401
