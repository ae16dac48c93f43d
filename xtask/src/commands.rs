//! The commands a learner types, one module each; `main` hands each its arguments.

pub(crate) mod bench;
pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod deploy;
pub(crate) mod failures;
pub(crate) mod local;
pub(crate) mod logs;
pub(crate) mod put_item;
pub(crate) mod remove;
pub(crate) mod screenshots;
pub(crate) mod setup;
pub(crate) mod sls;
pub(crate) mod test;
