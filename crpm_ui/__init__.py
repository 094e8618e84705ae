"""crpm_ui: the NiceGUI app of CRPM."""
