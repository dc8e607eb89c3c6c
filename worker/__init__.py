"""The worker process (``python -m worker``): runs the features' jobs, sweeps for lost work."""
