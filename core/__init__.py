"""FinDL Lab engine: configs, data, result store, jobs and the tasks behind the lesson pages."""

__version__ = "0.1.0"
