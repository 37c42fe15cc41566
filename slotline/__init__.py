"""Slotline's composition root and command line."""
