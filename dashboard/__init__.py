"""Historical timeline visualizer: a CSV of dated events as an interactive, filterable timeline."""

__version__ = "0.1.0"
