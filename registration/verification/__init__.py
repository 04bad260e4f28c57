"""Proof of eligibility: attendees upload documents; organizers approve or reject (moving or refunding the order)."""
