"""Local stand-ins for the outside world (platform APIs), reached over real HTTP."""
