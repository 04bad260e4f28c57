"""The program: sessions, speakers, personal agendas, iCal feeds (built on events and registration)."""

# The flush hooks (seats freed when a registration ends, mails when an agenda's session changes) must be
# active wherever the models are used, whichever entry point loaded them.
from sessions import hooks as _hooks  # noqa: F401 - imported for its flush listeners
