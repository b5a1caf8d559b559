"""The demo accounts the README and the start-up output name (one per role)."""

DEMO_ACCOUNTS: tuple[tuple[str, str, str], ...] = (
    ("admin", "fuhua-admin-2020", "admin"),
    ("reviewer", "fuhua-reviewer-2020", "reviewer"),
    ("institution", "fuhua-institution-2020", "institution"),
    # created with the demo's reporting season (registry.demo.season), one per town used by the demo
    ("town-songshanhu", "fuhua-town-2020", "town_officer"),
)
