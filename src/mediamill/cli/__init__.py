"""The command line: `mediamill up | worker | submit | status | queues | retry | pause | resume | ...`."""
