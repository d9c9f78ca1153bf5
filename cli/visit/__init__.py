"""``kefu visits``: monthly visit plans, visit reports and site-visit requests."""
