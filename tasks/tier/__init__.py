"""The tier process's steps, rules and card."""
