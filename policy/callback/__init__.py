"""Callbacks (回访): the policy section."""
