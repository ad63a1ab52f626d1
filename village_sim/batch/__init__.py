"""Batch experiments: designed sweeps, replicates and sensitivity analyses at research scale.

- :mod:`~village_sim.batch.experiment`: experiment files (schema, validation against the scenario);
- :mod:`~village_sim.batch.design`: design points, one module per method (grid, paths, lhs,
  sobol, morris, discovery), and :mod:`~village_sim.batch.analyze`, the matching analyses;
- :mod:`~village_sim.batch.seeds`: run seeds from a root seed by ``SeedSequence`` spawning;
- :mod:`~village_sim.batch.runner`: Dask (local cluster or an existing one) or in-process;
- :mod:`~village_sim.batch.store`: the resumable DuckDB results store;
- :mod:`~village_sim.batch.report`: figures, tables and a Markdown summary;
- :mod:`~village_sim.batch.discover`: scenario discovery and robustness of a discovery batch;
- :mod:`~village_sim.batch.compare`: the sequential ``compare`` of scenarios.
"""
