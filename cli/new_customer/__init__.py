"""``kefu``'s commands of the new_customer process."""
