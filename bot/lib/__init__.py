"""Small pure helpers (phones, places, segments, charts, quiet hours); none imports bot."""
