"""The channel-neutral booking assistant: (state, inbound) -> (state, replies)."""
