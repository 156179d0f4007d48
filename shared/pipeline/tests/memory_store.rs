//! The shared behavioural suite against the in-memory store: the same semantics SQLite and
//! DynamoDB are held to.

use autoexpose_pipeline::MemoryStore;

autoexpose_pipeline::store_behaviour_tests!(|| async { MemoryStore::new() });
