"""The tier process's section of the policy."""
