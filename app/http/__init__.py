"""HTTP plumbing: admission, limits, headers, observability, caching, docs, probes."""
