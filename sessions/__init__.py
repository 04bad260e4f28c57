"""The program: sessions, speakers, personal agendas, iCal feeds (built on events and registration).

Importing it installs nothing: the composition root wires the flush hook (``sessions.hooks.install``).
"""
