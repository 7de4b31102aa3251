"""Provider rate limits shared by every worker: GCRA buckets in Redis, coalesced takes."""
