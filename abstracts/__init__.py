"""The call for abstracts, submissions with their authors and disclosures, review and decisions."""
