"""Executors run decode -> stages -> records over the issues the driver lists (see `base`);
`local` is the process pool on this machine."""
