"""Session state and the numpy reference interpreter."""
