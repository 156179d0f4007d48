//! The pipeline's shared behavioural suite, run against `DynamoStore` on moto: one test per
//! behaviour, each on a new table of its own.

mod common;

autoexpose_pipeline::store_behaviour_tests!(common::fresh_store);
