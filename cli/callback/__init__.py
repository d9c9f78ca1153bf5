"""kefu callback: list, show, record and report callbacks (回访)."""
