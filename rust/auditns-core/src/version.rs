// SPDX-License-Identifier: GPL-2.0

//! The version of auditns, logged by the module when it loads.

/// auditns version; kept equal to the Cargo package version by a host test.
pub const VERSION: &str = "0.1.0";

#[cfg(test)]
mod tests {
    #[test]
    fn matches_cargo_package_version() {
        assert_eq!(super::VERSION, env!("CARGO_PKG_VERSION"));
    }
}
