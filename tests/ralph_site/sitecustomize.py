"""Loaded at start-up by the tests' ralph processes only (tests/lrs.py puts this folder on their
PYTHONPATH): ralph's file-system LRS backend appends each POST to its statements file.

ralph-malph 5.1.0 writes every POST with the data backend's default operation, "index", which
refuses to touch an existing file: the first POST into a fresh file succeeds, every later one
answers 500 ("already exists and overwrite is not allowed"). "append" is the backend's own
operation for adding lines to the file; everything else (validation, 204 for a resend, 409 for
a conflicting body, reading back) is ralph's unchanged code.
"""

try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend
except ImportError:  # not ralph's environment: nothing to adjust
    pass
else:
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
