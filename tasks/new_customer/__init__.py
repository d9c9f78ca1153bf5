"""The new_customer process's steps, rules and card."""
