"""The local cluster's scheduler and worker: Dask's own, except that they start no HTTP server
unless a dashboard address is asked for (``FINDL_DASHBOARD``, ``core.cluster.local_cluster``).

Why: Dask's scheduler and workers start their HTTP server whatever ``dashboard_address`` says
(``None`` only turns the Bokeh plots off; dask/distributed#8136, #7207): the scheduler's on
port 8787, unauthenticated, its ``/info`` pages showing the scheduler's address and logs, and
each worker's on a random port. Emptying ``distributed.*.http.routes`` would leave a server
listening that answers 404; here nothing listens. Workers import this module by name (the nanny
pickles the worker class by reference), so it imports nothing of the project.
"""

from __future__ import annotations

from distributed import Scheduler, Worker


class _HTTPOnlyWhenAsked:
    """``start_http_server`` of Dask's ``ServerNode`` when an address is given, else nothing:
    without ``http_application`` Dask's own clean-up skips the server (``Node._stop_services``)."""

    def start_http_server(self, routes, dashboard_address, default_port=0, ssl_options=None):
        if dashboard_address:
            super().start_http_server(routes, dashboard_address, default_port=default_port, ssl_options=ssl_options)


class QuietScheduler(_HTTPOnlyWhenAsked, Scheduler):
    """Dask's scheduler, with no HTTP server unless ``dashboard_address`` is given."""


class QuietWorker(_HTTPOnlyWhenAsked, Worker):
    """Dask's worker, with no HTTP server unless ``dashboard_address`` is given."""
