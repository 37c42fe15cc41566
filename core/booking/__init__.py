"""The booking core: availability, rules and the commands that change appointments."""
