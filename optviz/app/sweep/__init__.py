"""The Sweep page (optviz.app.pages lists it)."""
