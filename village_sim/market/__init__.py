"""What happens between agents: platform, contracts, sessions, logistics, ledger."""
