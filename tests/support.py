"""Shared test settings and helpers (tests never import other test modules)."""

# The most queries a public page may make (tests/test_performance.py, tests/test_search.py).
MAX_PUBLIC_PAGE_QUERIES = 10
