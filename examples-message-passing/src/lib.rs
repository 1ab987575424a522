//! Support code of the `examples-message-passing` recipes.
pub mod oneshot;
