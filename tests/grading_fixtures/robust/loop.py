# An endless loop at the top level: it must cost the load limit, not the submission's.
while True:
    pass
