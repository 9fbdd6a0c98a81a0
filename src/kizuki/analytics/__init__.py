"""Analytics: pure functions of store tables, run in order by :mod:`kizuki.analytics.pipeline`.

Each analysis takes tables (Ibis expressions over the canonical tables, which run inside the
store's engine, or small frames) and parameters, and returns a table; only the pipeline writes
results into the store, as the ``result_*`` tables declared in :mod:`kizuki.schema.results`.
Every number is defined in docs/metrics.md.
"""
