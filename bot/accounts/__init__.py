"""Dashboard accounts: logging in, roles, and managing accounts on a page and from the terminal."""
