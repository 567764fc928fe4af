"""Routing engine: AMI link, live call/queue/seat state, routing policy, call records."""
