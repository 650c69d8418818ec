"""Screens: message texts, keyboards, callback data and command menus, built from service
results in a locale. Used by handlers and by jobs alike; no Router, no database session."""
