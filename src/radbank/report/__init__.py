"""Run reports: plots and report.html."""
