"""Changes to a placed order by its buyer or an organizer: cancelling (fees, refunds, seats back) and transfers."""
