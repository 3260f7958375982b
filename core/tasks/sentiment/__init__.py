"""The sentiment task (placeholder: the integrator replaces this file)."""
