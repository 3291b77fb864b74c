//! The JSON rh-server (and Runhouse's "Den") speaks: the shared wire types of [`rh_wire::types`], under the
//! names this crate's callers use, and the resource payload format (spec §5.2).

pub use rh_wire::types::{
    AccessRequest, AccessResult, CORE_FIELDS, Data as Envelope, ErrorBody, HistoryItem,
    HistoryPage, UserInfo, Users, from_payload, to_payload,
};
