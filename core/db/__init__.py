"""Storage: SQLAlchemy models, engines and the unit of work."""
