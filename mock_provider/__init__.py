"""The hookconform mock provider: a faithful emulation of the profiles' webhook senders.

Built on `harness.profiles`; see shared/DESIGN.md ("mock_provider").
"""
