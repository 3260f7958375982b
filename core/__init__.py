"""FinDL Lab engine: configs, data, result store, jobs and the four teaching tasks."""

__version__ = "0.1.0"
