"""Reply tracking: deadlines from the desk's SLA table, business time, pauses and alarms."""
