"""Customer satisfaction: the rating request, its signed link and its words."""
