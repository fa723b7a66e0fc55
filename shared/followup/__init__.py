"""Follow-up: business calendars, awaited actions and their clocks, reminders."""
