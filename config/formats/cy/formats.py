"""Welsh dates with the 24-hour clock (issue 15): Django's cy formats say "2:30 y.b."."""

DATE_FORMAT = "j F Y"  # '25 Hydref 2006'
TIME_FORMAT = "H:i"  # '14:30'
DATETIME_FORMAT = "j F Y, H:i"  # '25 Hydref 2006, 14:30'
SHORT_DATE_FORMAT = "d/m/Y"  # '25/10/2006'
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # '25/10/2006 14:30'
