"""Browser visualization: the village market in Mesa's SolaraViz (``village-sim viz``).

- :mod:`village_sim.viz.app`: the page (``Page``) and the model it builds (``VizMarket``);
- :mod:`village_sim.viz.components`: monitors, trade graph and plots (Solara components);
- :mod:`village_sim.viz.charts`: the Vega-Lite specifications of the plots;
- :mod:`village_sim.viz.data`: the numbers the plots show, computed from a model;
- :mod:`village_sim.viz.levers`: the governance levers and the scenario they produce.

Importing this package does not import Solara; :mod:`village_sim.viz.app` does.
"""
