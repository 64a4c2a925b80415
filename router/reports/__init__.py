"""Reports: figures over a time range for the dashboard and the API."""
