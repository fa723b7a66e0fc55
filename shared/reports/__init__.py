"""Scheduled reports: the follow-up KPI report mailed daily, weekly or monthly to chosen members."""
