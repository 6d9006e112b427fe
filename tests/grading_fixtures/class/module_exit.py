
raise SystemExit(0)
