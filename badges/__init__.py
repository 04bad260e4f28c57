"""Badges and check-in: signed QR tokens, badge PDFs, checkpoints, scans, attendance."""
