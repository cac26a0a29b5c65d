"""The Compare page (optviz.app.pages lists it)."""
