"""`migrate scan`: read a live cluster (get/list only) and plan the migration with the convert pipeline."""
