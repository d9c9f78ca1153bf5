"""``kefu``'s commands of the complaint process."""
