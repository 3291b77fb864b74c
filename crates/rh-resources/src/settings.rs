//! The config defaults constructors fall back on, passed in by the caller (no env or file reads here).

/// Defaults for arguments a constructor was not given (`~/.rh/config.yaml` keys of the same names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceSettings {
    /// Minutes of idleness before an on-demand cluster stops; -1 never.
    pub default_autostop: i64,
    /// Cloud for on-demand clusters (`cheapest` lets the launcher choose).
    pub default_provider: String,
    /// Whether on-demand clusters use spot instances (Runhouse ignored this setting; rh applies it).
    pub use_spot: bool,
}

impl Default for ResourceSettings {
    /// Runhouse v0.0.10's base defaults.
    fn default() -> Self {
        Self {
            default_autostop: -1,
            default_provider: "cheapest".to_owned(),
            use_spot: false,
        }
    }
}
