"""Kong annotations: parsing as KIC parses them, and the table of route-annotation handlers."""
