"""Runs: what happens to an experiment. `train` (fit from a config, evaluate, write a run),
`evaluate` (metrics as plain data), `report` (report.md and the confusion plot), `run_dir` (the
one writer of run and evaluation folders, all or nothing) and `compare` (tables and paired
significance tests across runs)."""
