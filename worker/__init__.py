"""Background work: jobs that take IDs and are safe to run twice, and the worker process."""
