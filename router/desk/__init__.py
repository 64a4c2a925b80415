"""Desk state: conversations, customers, pools, agents and what agents do to them."""
