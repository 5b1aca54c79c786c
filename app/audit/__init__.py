"""The audit log of master data: every change with who, when, what from what to what, why."""
