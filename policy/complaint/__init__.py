"""The complaint process's section of the policy."""
