"""The app's entry script inside the package: what ``optviz app`` runs (see optviz.app.main)."""

from optviz.app.main import navigate

navigate(__file__)
