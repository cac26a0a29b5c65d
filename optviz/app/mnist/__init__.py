"""The Mnist page (optviz.app.pages lists it)."""
