"""The new_customer process's section of the policy."""
