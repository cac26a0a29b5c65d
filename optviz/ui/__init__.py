"""The Streamlit app: pages and widgets. The only package that imports streamlit."""
