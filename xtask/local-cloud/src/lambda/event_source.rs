//! The event source mapping between a table's stream and a function, as Lambda runs one: the
//! poller that reads the stream, the delivery rules (batches, retries, bisection, reported
//! failures, record age), the filters, the checkpoint kept between runs.

pub mod checkpoint;
pub mod delivery;
pub mod filter;
pub mod poller;
pub mod resumption;
pub mod settings;

pub use settings::MappingSettings;
