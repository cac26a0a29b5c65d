"""The Surfaces page (optviz.app.pages lists it)."""
