"""Parameter sweeps: a grid (or a seeded random sample) of strategy variants x universes x
periods, run on the compiled engine, in process or on a Dask cluster, resumable."""
