"""Bank statements: CSV exports and CAMT.053 files read into lines, each line matched to an order by its
payment reference and amount, and a review list for what could not be settled automatically."""
