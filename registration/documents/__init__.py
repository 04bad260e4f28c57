"""Receipts, credit notes and invoices: numbered per event, frozen as JSON when issued, drawn as PDF from that
alone; the buyer's billing details and the seller's."""
