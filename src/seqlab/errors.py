"""User-facing errors: each carries one paragraph saying what was wrong and how to fix it."""


class SeqlabError(Exception):
    """An error caused by the user's input; printed as a message, never as a traceback."""


class ConfigError(SeqlabError):
    """A configuration value is out of range or inconsistent with another one."""


class DataError(SeqlabError):
    """A dataset file is missing, corrupt, unsafe, or not in the expected format."""


class DeviceError(SeqlabError):
    """The requested device is not available."""


class FolderError(SeqlabError):
    """An output folder cannot hold this run: another experiment, a lock, a bad path."""


class LauncherError(SeqlabError):
    """The launcher cannot start: e.g. Ray cannot start or join its cluster."""


# Errors that say the user must change something before running again (exit status 2);
# any other failure of a run exits with status 1.
USER_ERRORS = (ConfigError, DataError, DeviceError, FolderError, LauncherError)
