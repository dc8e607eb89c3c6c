"""Field work: events, signs, volunteers, in-person and paper sign-ups, and the leaderboard."""
