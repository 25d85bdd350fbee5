"""The simulated world behind one boundary: vCenter, Active Directory, agents, users."""
