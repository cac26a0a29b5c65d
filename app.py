"""optviz: the entry script for ``streamlit run app.py`` and hosted platforms (see optviz.app.main)."""

from optviz.app.main import navigate

navigate(__file__)
