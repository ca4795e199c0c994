"""Reports by e-mail (Allo mairie): the inbound mail channel, SMTP listener and IMAP polling."""
