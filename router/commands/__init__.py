"""The parts of the `msgrouter` command line (router/cli.py assembles them)."""
