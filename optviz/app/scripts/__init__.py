"""The scripts Streamlit runs, one per page, named by its URL path (optviz.app.pages)."""
