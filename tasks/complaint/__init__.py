"""The complaint process's steps, rules and card."""
