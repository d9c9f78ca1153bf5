"""Credit limits and over-limit shipments (004 D2)."""
