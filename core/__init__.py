"""Slotline's domain: booking, conversation, notifications and storage. Imports no channel SDK."""
