//! The read-only `^` resources shipped with rh (Runhouse's `runhouse/builtins/`), embedded as data.

macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        /// `(name, config.json bytes)` for every builtin, in listing order.
        pub(crate) const BUILTINS: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../builtins/", $name, "/config.json")))),*
        ];
    };
}

builtins!(
    "rh-cpu",
    "rh-8-cpu",
    "rh-32-cpu",
    "rh-gpu",
    "rh-4-gpu",
    "rh-8-gpu",
    "rh-v100",
    "rh-4-v100",
    "rh-8-v100",
);

/// The stored bytes of builtin `name`.
pub(crate) fn get(name: &str) -> Option<&'static str> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}
