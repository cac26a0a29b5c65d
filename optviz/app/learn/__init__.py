"""The Learn page (optviz.app.pages lists it)."""
