"""Owner routing: rules that give each lead an owner by territory, segment and round robin."""
