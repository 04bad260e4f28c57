"""The organizer's registration console: lists, search, figures, exports and the organizer's own orders."""
