"""The Streamlit app: the only package that imports Streamlit.

``kit`` is what every page shares (the shared caches and the compute-with-progress helper, the
view-in-the-link convention, charts, share and export, messages, number boxes, start-up); each
page is a package of its own (``surfaces``, ``sweep``, ``mnist``, ``compare``, ``learn``), and
``pages`` lists them once.
"""
