"""``kefu``'s commands of the tier process."""
