"""Error types. A UserError is the user's to fix: the UI shows its message as one line and the CLI
exits with code 2; anything else is a bug (CLI exit 1)."""


class UserError(Exception):
    """Bad input: a setting, a file or a run the user can change."""


class ConfigError(UserError):
    """A setting is out of range, of the wrong type, or inconsistent with another."""


class DataError(UserError):
    """Data that cannot be used: wrong columns, too few rows, unreachable source..."""


class TrainingDiverged(UserError):
    """The loss became NaN or infinite."""

    def __init__(self, message: str = "training diverged (loss became NaN/inf): lower the learning rate"):
        super().__init__(message)


class Cancelled(Exception):
    """A job was cancelled by a user while it trained."""


class EngineUnavailable(UserError):
    """The Dask scheduler cannot be reached or the local cluster did not start."""
