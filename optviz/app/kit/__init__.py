"""What every page is built from: shared caches and long jobs, views kept in links, charts,
share and export, messages about input, number boxes, start-up."""
