"""Reports over the data map (register, access report, erasure plan). Arrives with issue 6."""
