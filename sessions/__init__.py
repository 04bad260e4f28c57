"""The program: sessions, speakers, personal agendas, iCal feeds (built on events and registration)."""
