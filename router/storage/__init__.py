"""Storage: the tables, engines and sessions, migrations, the event log and plain rows."""
