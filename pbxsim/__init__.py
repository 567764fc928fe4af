"""pbxsim: an Asterisk 22 stand-in for tests, the demo and load runs (never a production PBX)."""
