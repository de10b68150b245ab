"""Serving: label new articles with a trained model. `predict` (load a model, the one input rule,
the one top-k ranking, records), `writers` (the registry of output formats), `request` (what the
CLI's predict, explain and evaluate share: the model loaded and checked, the articles read), `http` (the FastAPI app of `khabar serve`),
`settings` (its defaults, importable without FastAPI), `batching` (micro-batching of concurrent
requests) and `ray` (`khabar predict --engine ray` over Parquet / JSON-lines shards)."""
