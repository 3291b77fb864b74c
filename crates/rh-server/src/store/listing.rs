//! The dashboard's reads of resources: the list of a user's resources and a resource's grants, invitations and
//! times.

use sqlx::Row as _;
use sqlx::any::AnyRow;

use super::{AccessLevel, Store, Visibility, parse_column};
use crate::Result;

/// One row of the resource list.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    pub(crate) uri: String,
    pub(crate) name: String,
    pub(crate) owner: String,
    pub(crate) resource_type: Option<String>,
    pub(crate) visibility: Visibility,
    pub(crate) updated_at: String,
    /// `owner`, `write` or `read`.
    pub(crate) access: String,
}

/// A grant or a pending invitation on a resource.
#[derive(Debug, Clone)]
pub(crate) struct Share {
    /// Username (grant) or email (invitation).
    pub(crate) who: String,
    pub(crate) level: AccessLevel,
    pub(crate) by: String,
    pub(crate) at: String,
}

/// The caller's own resources and those shared with them, most recently updated first.
pub(crate) async fn list_mine(store: &Store, username: &str) -> Result<Vec<Listed>> {
    let rows = sqlx::query(
        "SELECT r.uri, r.name, r.owner, r.resource_type, r.visibility, r.updated_at, g.access_level \
         FROM resources r LEFT JOIN grants g ON g.uri = r.uri AND g.username = $1 \
         WHERE r.owner = $1 OR g.username IS NOT NULL ORDER BY r.updated_at DESC, r.uri",
    )
    .bind(username)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let owner: String = row.try_get(2)?;
            let grant: Option<String> = row.try_get(6)?;
            let access = if owner == username {
                "owner".to_owned()
            } else {
                grant.unwrap_or_else(|| "read".to_owned())
            };
            Ok(Listed {
                uri: row.try_get(0)?,
                name: row.try_get(1)?,
                owner,
                resource_type: row.try_get(3)?,
                visibility: parse_column(row.try_get(4)?)?,
                updated_at: row.try_get(5)?,
                access,
            })
        })
        .collect()
}

fn share_from_row(row: &AnyRow) -> Result<Share> {
    Ok(Share {
        who: row.try_get(0)?,
        level: parse_column(row.try_get(1)?)?,
        by: row.try_get(2)?,
        at: row.try_get(3)?,
    })
}

/// Grants on `uri`, and pending invitations to emails without an account.
pub(crate) async fn shares(store: &Store, uri: &str) -> Result<(Vec<Share>, Vec<Share>)> {
    let grants = sqlx::query(
        "SELECT username, access_level, granted_by, created_at FROM grants WHERE uri = $1 ORDER BY username",
    )
    .bind(uri)
    .fetch_all(store.pool())
    .await?;
    let invitations = sqlx::query(
        "SELECT email, access_level, invited_by, created_at FROM invitations WHERE uri = $1 ORDER BY email",
    )
    .bind(uri)
    .fetch_all(store.pool())
    .await?;
    Ok((
        grants.iter().map(share_from_row).collect::<Result<_>>()?,
        invitations
            .iter()
            .map(share_from_row)
            .collect::<Result<_>>()?,
    ))
}

/// When `uri` was created and last changed (the resource row's timestamps).
pub(crate) async fn times(store: &Store, uri: &str) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT created_at, updated_at FROM resources WHERE uri = $1")
        .bind(uri)
        .fetch_optional(store.pool())
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}
