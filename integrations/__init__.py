"""Tickets (工单), the outbox to the 12348 platform and 12345, 回访 callbacks and the dialer."""
