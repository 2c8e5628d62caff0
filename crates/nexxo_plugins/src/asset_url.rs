//! Asset names and URLs live with the module pipeline (`nexxo_pipeline::asset_url`), whose
//! chunk hooks name files too; the build's plugins use them from here.

pub use nexxo_pipeline::asset_url::*;
