"""Serving: label new articles with a trained model. `predict` (load a model, the one input rule,
the one top-k ranking, records and their writers), `http` (the FastAPI app of `khabar serve`),
`settings` (its defaults, importable without FastAPI), `batching` (micro-batching of concurrent
requests) and `ray` (`khabar predict --engine ray` over Parquet / JSON-lines shards)."""
