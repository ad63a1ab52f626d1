"""The places graph: generator, explicit graphs, routes."""
