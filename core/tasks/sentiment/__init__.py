"""Sentiment task (placeholder: the integrator replaces this docstring)."""
