"""Registration's audit trail: writing its entries the older way (``services``) and reading them, over HTTP
(``controllers``) and on the organizer's page (``pages``)."""
