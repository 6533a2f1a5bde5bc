//! # gmm-test-support
//!
//! What the workspace's tests share, written once (as regex's `regex-test` crate does for
//! regex): the committed reference fixtures ([`fixture_json`], [`fixture_data`]), the real
//! data sets ([`real_data_path`]), numbers out of JSON ([`floats`], [`rows`]), relative
//! errors named by what they divide by ([`max_error_relative_to_largest`],
//! [`max_error_relative_to_each`], [`max_error_relative_to_larger`]), values missing at
//! random ([`missing_completely_at_random`]) and scratch directories ([`scratch_dir`]). Not published; tests may panic here with a message naming the file.
#![warn(missing_docs)]

mod fixtures;
mod missing;
mod relative_error;
mod scratch;

pub use fixtures::{
    FIXTURES_DIR, REAL_DATA_DIR, fixture_data, fixture_data_path, fixture_json, floats, real_data,
    real_data_path, rows,
};
pub use missing::{missing_completely_at_random, uniform_from};
pub use relative_error::{
    max_error_relative_to_each, max_error_relative_to_larger, max_error_relative_to_largest,
};
pub use scratch::scratch_dir;
