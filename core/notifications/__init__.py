"""What to send to whom, and the port that sends it (implemented per channel in `bots/`)."""
