//! The operations on resources, one per change or read, under both front ends: the JSON API
//! ([`crate::api`]) and the dashboard ([`crate::dashboard`]) parse their input, call one of these, and render
//! what it returns. User and token operations are in the crate root ([`crate::create_user`], …).
//!
//! Each operation owns three things:
//! - **Authorization**: the owner (first address segment) and `write` grantees may update, share, change the
//!   visibility of, restore and delete; `read` grantees and everyone (for `public`/`unlisted` resources) may
//!   read. A secret (`resource_type: "secret"`) is shared, revoked and deleted by its owner only; its
//!   deletion deletes its values from Vault first. A caller who may not read a resource gets [`OpError::NotFound`], as for a missing one; a caller who
//!   may read but not change it gets [`OpError::ReadOnly`]. Updates re-check access under the row lock.
//! - **The audit row**: built here with its [`AuditAction`] and written by the store in the change's
//!   transaction, so both commit or neither does.
//! - **Cache invalidation**: every change goes through a store write transaction, which bumps the read
//!   cache's generation when it begins and ends ([`crate::store::read_cache`]); no operation writes around it.
//!
//! History belongs to one incarnation of a resource (a delete and re-create starts a new one) and shows each
//! reader only the versions they could read: the owner all of them; anyone else the versions from the one
//! current when they got access on: their grant, or the resource becoming unlisted or public (the newest of
//! those transitions, so a private spell in between is never shown). Only the owner may purge it.

use serde_json::{Map, Value, json};

use crate::audit::{Audit, AuditAction};
use crate::dashboard::NamedSecretVault;
use crate::model::{AccessLevel, Visibility};
use crate::names::{ResourceName, normalize_email, validate_username};
use crate::store::listing::{Listed, Share};
use crate::store::{
    Change, Granted, Grantee, HistoryEntry, HistoryPage, HistoryScope, HistoryView, Notification,
    RestsOn, Store, StoredResource, User,
};

/// Most users and emails one share names.
pub(crate) const MAX_SHARE_RECIPIENTS: usize = 100;

/// What a caller may do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    None,
    Read,
    Write,
}

/// The one authorization rule (see the module docs).
pub(crate) fn access(caller: &User, res: &StoredResource, grant: Option<AccessLevel>) -> Access {
    if caller.username == res.owner {
        return Access::Write;
    }
    match grant {
        Some(AccessLevel::Write) => Access::Write,
        Some(AccessLevel::Read) => Access::Read,
        None if res.visibility.is_open() => Access::Read,
        None => Access::None,
    }
}

/// The history `caller` may see of the resource in `view`: its incarnation, from the first version they could
/// read on; `None` if they may not read it.
pub(crate) fn history_scope(caller: &User, view: &HistoryView) -> Option<HistoryScope> {
    let res = &view.resource;
    let from_version = match access(caller, res, view.grant) {
        Access::None => return None,
        _ if caller.username == res.owner => 0,
        _ => {
            // Missing markers (never written since migration 5) count as "from the current version".
            let granted = view
                .grant
                .is_some()
                .then(|| view.grant_since.unwrap_or(res.version));
            let open = res
                .visibility
                .is_open()
                .then(|| view.open_since.unwrap_or(res.version));
            granted.into_iter().chain(open).min().unwrap_or(res.version)
        }
    };
    Some(HistoryScope {
        resource_id: view.resource_id.clone(),
        from_version,
    })
}

/// Why an operation did not happen. The texts are the API's `detail`s; the dashboard words its own.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpError {
    /// No such resource, or the caller may not read it.
    #[error("resource {0} not found")]
    NotFound(ResourceName),
    /// The caller may read but not change it.
    #[error("you have read-only access to {0}")]
    ReadOnly(ResourceName),
    /// Only the owner creates under `/<owner>/`.
    #[error("cannot create {0}: only {owner} can create resources under /{owner}", owner = .0.owner())]
    NotOwner(ResourceName),
    /// Only the owner purges the history.
    #[error("only {owner} can purge the history of {0}", owner = .0.owner())]
    OwnerOnly(ResourceName),
    /// Only the owner shares, revokes or deletes a secret (`resource_type: "secret"`), `write` grantees
    /// included.
    #[error("only {owner} can share, revoke or delete the secret {0}", owner = .0.owner())]
    SecretOwnerOnly(ResourceName),
    /// A secret's values could not be deleted from Vault (unreachable, or it refused); the resource is kept.
    #[error("cannot delete the values of the secret {name} from Vault: {reason}")]
    SecretValues {
        /// The secret.
        name: ResourceName,
        /// One line for the user, with no value and no token (the cause is in rh-server's log).
        reason: String,
    },
    /// `allow_reshare` on a resource that is not a secret (other resources' `write` grantees share already).
    #[error("allow_reshare is for secrets: {0} is not one (its write grantees share it already)")]
    ReshareNotSecret(ResourceName),
    /// A create where a resource exists.
    #[error("resource {0} already exists")]
    Exists(ResourceName),
    /// An update to the config already stored.
    #[error("config for {0} has not changed, nothing to update")]
    Unchanged(ResourceName),
    /// A share names a username with no account.
    #[error("unknown user {0:?}")]
    UnknownUser(String),
    /// The sharer reached [`crate::store::INVITES_PER_HOUR`]; nothing changed.
    #[error("{}", hourly_cap_text())]
    HourlyCap,
    /// A restore of a version the caller's history does not show (or of a deletion).
    #[error("there is no version {0}")]
    NoSuchVersion(i64),
    /// Bad input the store's rules refused, or the database failed.
    #[error(transparent)]
    Store(#[from] crate::Error),
}

type Result<T, E = OpError> = std::result::Result<T, E>;

/// Why a share over [`crate::store::INVITES_PER_HOUR`] was refused.
pub(crate) fn hourly_cap_text() -> String {
    let n = crate::store::INVITES_PER_HOUR;
    format!(
        "too many invitations: a user queues at most {n} notification mails and {n} invitations of new emails \
         an hour; nothing was shared, try again later"
    )
}

fn audit(caller: &User, action: AuditAction, name: &ResourceName) -> Audit {
    Audit::new(&caller.username, action, &name.address())
}

/// The resource at `name` if `caller` may change it.
async fn writable(store: &Store, caller: &User, name: &ResourceName) -> Result<StoredResource> {
    let Some((res, grant)) = store.resource_for(&name.uri(), &caller.username).await? else {
        return Err(OpError::NotFound(name.clone()));
    };
    match access(caller, &res, grant) {
        Access::None => Err(OpError::NotFound(name.clone())),
        Access::Read => Err(OpError::ReadOnly(name.clone())),
        Access::Write => Ok(res),
    }
}

/// The result of [`read`].
pub(crate) enum Read {
    /// The token matches no account (or has expired).
    BadToken,
    /// The stored payload.
    Found(Value),
}

/// Reads a resource for the account whose token hashes to `token_hash`: one lookup of both (the hot path of
/// `GET /resource/{uri}`, through the read cache and the hot read).
pub(crate) async fn read(store: &Store, token_hash: &str, name: &ResourceName) -> Result<Read> {
    match store.user_and_resource(token_hash, &name.uri()).await? {
        None => Ok(Read::BadToken),
        Some((caller, Some((res, grant)))) if access(&caller, &res, grant) >= Access::Read => {
            Ok(Read::Found(res.config))
        }
        Some(_) => Err(OpError::NotFound(name.clone())),
    }
}

/// A resource to create or the new state of one: the payload (core fields plus `data`, spec §5.2).
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    pub(crate) name: ResourceName,
    pub(crate) resource_type: Option<String>,
    /// `None`: private for a create, the current one for an update.
    pub(crate) visibility: Option<Visibility>,
    pub(crate) config: Value,
}

/// Creates a resource; only its owner may.
pub(crate) async fn create(store: &Store, caller: &User, p: &Payload) -> Result<()> {
    if p.name.owner() != caller.username {
        return Err(OpError::NotOwner(p.name.clone()));
    }
    let created = store
        .create_resource(
            &p.name.uri(),
            &p.name.address(),
            p.name.owner(),
            p.resource_type.as_deref(),
            p.visibility.unwrap_or_default(),
            &p.config,
            &caller.username,
            &audit(caller, AuditAction::ResourceCreate, &p.name),
        )
        .await?;
    if created {
        Ok(())
    } else {
        Err(OpError::Exists(p.name.clone()))
    }
}

/// Replaces a resource's payload (a new version); [`OpError::Unchanged`] when it is the stored one. Returns
/// the new version.
pub(crate) async fn update(store: &Store, caller: &User, p: &Payload) -> Result<i64> {
    let name = &p.name;
    // The decision runs where the store runs the write (SQLite's writer thread): it owns what it reads.
    let (who, p) = (caller.clone(), p.clone());
    let updated = store
        .update_locked(
            &name.uri(),
            &caller.username,
            &audit(caller, AuditAction::ResourceUpdate, name),
            move |res, grant| {
                let name = &p.name;
                match access(&who, res, grant) {
                    Access::None => return Err(OpError::NotFound(name.clone())),
                    Access::Read => return Err(OpError::ReadOnly(name.clone())),
                    Access::Write => {}
                }
                if res.config == p.config {
                    return Err(OpError::Unchanged(name.clone()));
                }
                Ok(Change {
                    resource_type: p.resource_type.clone(),
                    visibility: p.visibility.unwrap_or(res.visibility),
                    config: p.config.clone(),
                    rests_on: RestsOn::AccessAndAnotherConfig,
                })
            },
        )
        .await?;
    updated.ok_or_else(|| OpError::NotFound(name.clone()))
}

/// Deletes a resource with its sharing (its history stays, for its owner). A secret is deleted by its owner only,
/// and its values go first, from `vault` (when rh-server has one): if Vault cannot delete them the resource is
/// kept, so no secret row ever outlives its values' deletion unnoticed and no values outlive their row.
pub(crate) async fn delete(
    store: &Store,
    vault: Option<&dyn NamedSecretVault>,
    caller: &User,
    name: &ResourceName,
) -> Result<()> {
    let res = writable(store, caller, name).await?;
    if resource_type(&res.config) == Some("secret") {
        if caller.username != res.owner {
            return Err(OpError::SecretOwnerOnly(name.clone()));
        }
        if let Some(vault) = vault {
            vault
                .delete_values(name.owner(), &crate::vault::named_key(name))
                .await
                .map_err(|reason| OpError::SecretValues {
                    name: name.clone(),
                    reason,
                })?;
        }
    }
    let audit = audit(caller, AuditAction::ResourceDelete, name);
    if store
        .delete_resource(&name.uri(), &caller.username, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(OpError::NotFound(name.clone()))
    }
}

/// The resources under `prefix` (`alice:proj:`) that `caller` may read (owned, granted or public), sorted by
/// uri: `(address, visibility, config)`.
pub(crate) async fn list(
    store: &Store,
    caller: &User,
    prefix: &str,
) -> Result<Vec<(String, Visibility, Value)>> {
    Ok(store.list_resources(prefix, &caller.username).await?)
}

/// The caller's own resources and those shared with them, most recently updated first.
pub(crate) async fn list_mine(store: &Store, caller: &User) -> Result<Vec<Listed>> {
    Ok(crate::store::listing::list_mine(store, &caller.username).await?)
}

/// A resource the caller may read, with what they may do and which history they see.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    pub(crate) name: ResourceName,
    pub(crate) res: StoredResource,
    pub(crate) access: Access,
    pub(crate) scope: HistoryScope,
}

/// Opens the current resource at `name` for `caller` ([`OpError::NotFound`] if they may not read it).
pub(crate) async fn open(store: &Store, caller: &User, name: &ResourceName) -> Result<Opened> {
    let view = store.history_view(&name.uri(), &caller.username).await?;
    let Some(view) = view else {
        return Err(OpError::NotFound(name.clone()));
    };
    let level = access(caller, &view.resource, view.grant);
    match history_scope(caller, &view) {
        Some(scope) if level != Access::None => Ok(Opened {
            name: name.clone(),
            res: view.resource,
            access: level,
            scope,
        }),
        _ => Err(OpError::NotFound(name.clone())),
    }
}

/// One page of an opened resource's history (see [`Store::history_page`]).
pub(crate) async fn history_page(
    store: &Store,
    opened: &Opened,
    before: Option<i64>,
    limit: i64,
    configs: bool,
) -> Result<HistoryPage> {
    Ok(store
        .history_page(&opened.scope, before, limit, configs)
        .await?)
}

/// One version of an opened resource's history, if the caller's history shows it.
pub(crate) async fn history_version(
    store: &Store,
    opened: &Opened,
    version: i64,
) -> Result<Option<HistoryEntry>> {
    Ok(store.history_version(&opened.scope, version).await?)
}

/// When an opened resource was created and last changed; and, for a caller who may change it, its grants and
/// pending invitations.
pub(crate) async fn details(
    store: &Store,
    opened: &Opened,
) -> Result<(Option<(String, String)>, Option<(Vec<Share>, Vec<Share>)>)> {
    let uri = opened.name.uri();
    let times = crate::store::listing::times(store, &uri).await?;
    let shares = if opened.access == Access::Write {
        Some(crate::store::listing::shares(store, &uri).await?)
    } else {
        None
    };
    Ok((times, shares))
}

/// One page of the history `caller` may see at `name`, newest first: the current resource's, or for its owner
/// the last incarnation of a deleted one. [`OpError::NotFound`] when there is none to show.
pub(crate) async fn history(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    before: Option<i64>,
    limit: i64,
) -> Result<HistoryPage> {
    let uri = name.uri();
    let scope = match store.history_view(&uri, &caller.username).await? {
        Some(view) => history_scope(caller, &view),
        None if name.owner() == caller.username => {
            store
                .last_incarnation(&uri)
                .await?
                .map(|resource_id| HistoryScope {
                    resource_id,
                    from_version: 0,
                })
        }
        None => None,
    };
    let Some(scope) = scope else {
        return Err(OpError::NotFound(name.clone()));
    };
    let page = store.history_page(&scope, before, limit, true).await?;
    if page.entries.is_empty() && before.is_none() {
        return Err(OpError::NotFound(name.clone()));
    }
    Ok(page)
}

/// The owner removes the history at `name`, of every incarnation, but the entry of the current version.
/// Returns how many entries went.
pub(crate) async fn purge_history(
    store: &Store,
    caller: &User,
    name: &ResourceName,
) -> Result<u64> {
    if name.owner() != caller.username {
        // Anyone else: the same answers as for a change they may not make.
        return match store.resource_for(&name.uri(), &caller.username).await? {
            Some((res, grant)) if access(caller, &res, grant) >= Access::Read => {
                Err(OpError::OwnerOnly(name.clone()))
            }
            _ => Err(OpError::NotFound(name.clone())),
        };
    }
    let audit = audit(caller, AuditAction::ResourcePurge, name);
    Ok(store.purge_history(&name.uri(), &audit).await?)
}

/// Sets the visibility (also in the stored payload). `false` when it already was that.
pub(crate) async fn set_visibility(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    visibility: Visibility,
) -> Result<bool> {
    let res = writable(store, caller, name).await?;
    if res.visibility == visibility {
        return Ok(false);
    }
    apply_visibility(store, caller, name, visibility).await?;
    Ok(true)
}

async fn apply_visibility(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    visibility: Visibility,
) -> Result<()> {
    let audit = audit(caller, AuditAction::ResourceVisibility, name).detail(visibility.as_str());
    let (who, n) = (caller.clone(), name.clone());
    let updated = store
        .update_locked(&name.uri(), &caller.username, &audit, move |res, grant| {
            if access(&who, res, grant) < Access::Write {
                return Err(OpError::ReadOnly(n.clone()));
            }
            let mut config = res.config.clone();
            if let Value::Object(map) = &mut config {
                map.insert("visibility".to_owned(), json!(visibility));
            }
            Ok(Change {
                resource_type: resource_type(&config).map(str::to_owned),
                visibility,
                config: config.clone(),
                rests_on: RestsOn::TheVersionRead,
            })
        })
        .await?;
    updated
        .map(|_| ())
        .ok_or_else(|| OpError::NotFound(name.clone()))
}

/// A secret's grants are its owner's to give and take: a `write` grantee (the only non-owner [`writable`]
/// lets through) writes values, and shares or revokes only where the owner allowed it
/// ([`ShareRequest::allow_reshare`]).
async fn secret_owner_only(
    store: &Store,
    caller: &User,
    res: &StoredResource,
    name: &ResourceName,
) -> Result<()> {
    if resource_type(&res.config) == Some("secret")
        && caller.username != res.owner
        && !store.reshare_allowed(&name.uri()).await?
    {
        return Err(OpError::SecretOwnerOnly(name.clone()));
    }
    Ok(())
}

fn resource_type(config: &Value) -> Option<&str> {
    config.get("resource_type").and_then(Value::as_str)
}

/// A user named in a share, resolved against the accounts.
struct Resolved {
    grantee: Grantee,
    email: Option<String>,
}

/// Usernames and emails → accounts (an email without one is an invitation); duplicates dropped.
async fn resolve(store: &Store, users: &[String]) -> Result<Vec<Resolved>> {
    let mut out: Vec<Resolved> = Vec::new();
    for raw in users {
        let raw = raw.trim();
        let resolved = if raw.contains('@') {
            let email = normalize_email(raw)?;
            match store.user_by_email(&email).await? {
                Some(u) => Resolved {
                    grantee: Grantee::User(u.username),
                    email: Some(email),
                },
                None => Resolved {
                    grantee: Grantee::Email(email.clone()),
                    email: Some(email),
                },
            }
        } else {
            validate_username(raw)?;
            match store.user_by_name(raw).await? {
                Some(u) => Resolved {
                    grantee: Grantee::User(u.username),
                    email: u.email,
                },
                None => return Err(OpError::UnknownUser(raw.to_owned())),
            }
        };
        if !out.iter().any(|r| r.grantee == resolved.grantee) {
            out.push(resolved);
        }
    }
    Ok(out)
}

/// A share: whom (usernames or emails), which level, whether to mail them, and optionally a new visibility.
#[derive(Debug, Clone)]
pub(crate) struct ShareRequest {
    pub(crate) users: Vec<String>,
    pub(crate) level: AccessLevel,
    pub(crate) notify: bool,
    pub(crate) visibility: Option<Visibility>,
    /// A secret's owner lets (`true`) or no longer lets (`false`) its `write` grantees share it further.
    pub(crate) allow_reshare: Option<bool>,
}

/// What a share or revoke changed: `added` accounts and `new` emails (invitations), each with its level (or
/// `denied` for a revoke), in the order given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Shared {
    pub(crate) added: Map<String, Value>,
    pub(crate) new: Map<String, Value>,
    /// The owner was named and skipped (they have every right already).
    pub(crate) owner_skipped: bool,
}

/// Grants `level` to each named account and invites each email without one (queueing the notifications),
/// after setting the visibility if asked, with one `resource.share` audit row. Checked first: the caller may
/// change the resource, every name resolves, and the hourly cap holds, so a refused share changes nothing.
pub(crate) async fn share(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    req: &ShareRequest,
) -> Result<Shared> {
    let res = writable(store, caller, name).await?;
    secret_owner_only(store, caller, &res, name).await?;
    if req.allow_reshare.is_some() {
        if resource_type(&res.config) != Some("secret") {
            return Err(OpError::ReshareNotSecret(name.clone()));
        }
        if caller.username != res.owner {
            return Err(OpError::SecretOwnerOnly(name.clone()));
        }
    }
    let resolved = resolve(store, &req.users).await?;
    let owner = Grantee::User(name.owner().to_owned());
    let owner_skipped = resolved.iter().any(|r| r.grantee == owner);
    let targets: Vec<Resolved> = resolved
        .into_iter()
        .filter(|r| r.grantee != owner)
        .collect();
    let mails = if req.notify {
        targets.iter().filter(|r| r.email.is_some()).count()
    } else {
        0
    };
    let invites = targets
        .iter()
        .filter(|r| matches!(r.grantee, Grantee::Email(_)))
        .count();
    if (mails > 0 || invites > 0)
        && store
            .over_hourly_cap(&caller.username, mails, invites)
            .await?
    {
        return Err(OpError::HourlyCap);
    }
    if let Some(v) = req.visibility.filter(|v| *v != res.visibility) {
        apply_visibility(store, caller, name, v).await?;
    }
    if let Some(allowed) = req.allow_reshare {
        let detail = if allowed {
            "allow_reshare"
        } else {
            "owner_only"
        };
        let audit = audit(caller, AuditAction::ResourceShare, name).detail(detail);
        store
            .set_reshare(&name.uri(), allowed, &caller.username, &audit)
            .await?;
    }
    let mut shared = Shared {
        owner_skipped,
        ..Shared::default()
    };
    let mut notes = Vec::new();
    for r in &targets {
        match &r.grantee {
            Grantee::User(u) => shared.added.insert(u.clone(), json!(req.level)),
            Grantee::Email(e) => shared.new.insert(e.clone(), json!(req.level)),
        };
        if req.notify
            && let Some(email) = &r.email
        {
            notes.push(notification(
                &caller.username,
                name,
                req.level,
                email,
                &r.grantee,
            ));
        }
    }
    if targets.is_empty() {
        return Ok(shared);
    }
    let who: Vec<&str> = shared
        .added
        .keys()
        .chain(shared.new.keys())
        .map(String::as_str)
        .collect();
    let detail = format!("{}:{}", who.join(","), req.level);
    let audit = audit(caller, AuditAction::ResourceShare, name).detail(detail);
    let grantees: Vec<Grantee> = targets.into_iter().map(|r| r.grantee).collect();
    match store
        .grant(
            &name.uri(),
            &grantees,
            req.level,
            &caller.username,
            &notes,
            &audit,
        )
        .await?
    {
        Granted::Done => Ok(shared),
        Granted::HourlyCapReached => Err(OpError::HourlyCap),
    }
}

/// Removes the grants and invitations of the named users and emails (`None`: everyone's), after setting the
/// visibility if asked, with one `resource.revoke` audit row naming who was removed (none when nobody was).
/// Returns what was removed.
pub(crate) async fn revoke(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    users: Option<&[String]>,
    visibility: Option<Visibility>,
) -> Result<Shared> {
    let res = writable(store, caller, name).await?;
    secret_owner_only(store, caller, &res, name).await?;
    let list: Option<Vec<Grantee>> = match users {
        Some(users) => Some(
            resolve(store, users)
                .await?
                .into_iter()
                .map(|r| r.grantee)
                .collect(),
        ),
        None => None,
    };
    if let Some(v) = visibility.filter(|v| *v != res.visibility) {
        apply_visibility(store, caller, name, v).await?;
    }
    let audit = audit(caller, AuditAction::ResourceRevoke, name);
    let mut shared = Shared::default();
    for g in store.revoke(&name.uri(), list.as_deref(), &audit).await? {
        match g {
            Grantee::User(u) => shared.added.insert(u, json!("denied")),
            Grantee::Email(e) => shared.new.insert(e, json!("denied")),
        };
    }
    Ok(shared)
}

fn notification(
    by: &str,
    name: &ResourceName,
    level: AccessLevel,
    email: &str,
    g: &Grantee,
) -> Notification {
    let mut body = format!("{by} gave you {level} access to {name}.\n");
    if matches!(g, Grantee::Email(_)) {
        body.push_str("Create an rh account with this email address to use it.\n");
    }
    Notification {
        recipient: email.to_owned(),
        subject: format!("{by} shared {name} with you"),
        body,
    }
}

/// How a restore ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restored {
    /// The version's config is the current one now (a new version).
    Done,
    /// It already was; nothing changed.
    Unchanged,
}

/// Makes the config of `version` the current one (a new version, audited as `resource.update` with the
/// restored version). The visibility stays the current one unless `visibility` names one.
pub(crate) async fn restore(
    store: &Store,
    caller: &User,
    name: &ResourceName,
    version: i64,
    visibility: Option<Visibility>,
) -> Result<Restored> {
    let opened = open(store, caller, name).await?;
    if opened.access != Access::Write {
        return Err(OpError::ReadOnly(name.clone()));
    }
    let entry = store.history_version(&opened.scope, version).await?;
    let Some(entry) = entry.filter(|e| e.action != "delete") else {
        return Err(OpError::NoSuchVersion(version));
    };
    let visibility = visibility.unwrap_or(opened.res.visibility);
    let config = with_visibility(entry.config, visibility);
    if config == opened.res.config {
        return Ok(Restored::Unchanged);
    }
    let audit = audit(caller, AuditAction::ResourceUpdate, name)
        .detail(format!("restored version {version}"));
    let (who, n) = (caller.clone(), name.clone());
    let updated = store
        .update_locked(&name.uri(), &caller.username, &audit, move |res, grant| {
            if access(&who, res, grant) < Access::Write {
                return Err(OpError::ReadOnly(n.clone()));
            }
            Ok(Change {
                resource_type: resource_type(&config).map(str::to_owned),
                visibility,
                config: config.clone(),
                rests_on: RestsOn::TheVersionRead,
            })
        })
        .await?;
    updated
        .map(|_| Restored::Done)
        .ok_or_else(|| OpError::NotFound(name.clone()))
}

/// `config` with its `visibility` key set to `visibility` (a config without one keeps none when private).
fn with_visibility(mut config: Value, visibility: Visibility) -> Value {
    if let Value::Object(map) = &mut config
        && (map.contains_key("visibility") || visibility.is_open())
    {
        map.insert("visibility".to_owned(), json!(visibility));
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str) -> User {
        User {
            username: name.to_owned(),
            email: None,
            config: Value::Null,
        }
    }

    fn res(visibility: Visibility) -> StoredResource {
        StoredResource {
            owner: "alice".to_owned(),
            visibility,
            config: json!({}),
            version: 7,
        }
    }

    #[test]
    fn one_access_rule() {
        let (alice, bob) = (user("alice"), user("bob"));
        assert_eq!(
            access(&alice, &res(Visibility::Private), None),
            Access::Write
        );
        assert_eq!(access(&bob, &res(Visibility::Private), None), Access::None);
        assert_eq!(access(&bob, &res(Visibility::Unlisted), None), Access::Read);
        assert_eq!(access(&bob, &res(Visibility::Public), None), Access::Read);
        let read = Some(AccessLevel::Read);
        assert_eq!(access(&bob, &res(Visibility::Private), read), Access::Read);
        let write = Some(AccessLevel::Write);
        assert_eq!(access(&bob, &res(Visibility::Public), write), Access::Write);
    }

    #[test]
    fn history_starts_at_the_readers_first_version() {
        let view = |visibility, grant, open_since, grant_since| HistoryView {
            resource: res(visibility),
            grant,
            resource_id: "id".to_owned(),
            open_since,
            grant_since,
        };
        let from = |u: &str, v: &HistoryView| history_scope(&user(u), v).map(|s| s.from_version);
        let private = view(Visibility::Private, None, None, None);
        assert_eq!(from("alice", &private), Some(0));
        assert_eq!(from("bob", &private), None);
        let granted = view(
            Visibility::Public,
            Some(AccessLevel::Read),
            Some(5),
            Some(3),
        );
        assert_eq!(from("bob", &granted), Some(3));
        let open = view(Visibility::Unlisted, None, Some(5), None);
        assert_eq!(from("bob", &open), Some(5));
        let unmarked = view(Visibility::Public, None, None, None);
        assert_eq!(from("bob", &unmarked), Some(7));
    }

    #[test]
    fn a_restore_writes_visibility_only_where_needed() {
        let private = with_visibility(json!({"a": 1}), Visibility::Private);
        assert_eq!(private, json!({"a": 1}));
        let public = with_visibility(json!({"a": 1}), Visibility::Public);
        assert_eq!(public, json!({"a": 1, "visibility": "public"}));
        let kept = with_visibility(json!({"visibility": "public"}), Visibility::Private);
        assert_eq!(kept, json!({"visibility": "private"}));
    }

    #[test]
    fn errors_read_as_the_api_always_answered() {
        let name = ResourceName::from_address("/alice/x").expect("name");
        assert_eq!(
            OpError::NotFound(name.clone()).to_string(),
            "resource /alice/x not found"
        );
        assert_eq!(
            OpError::NotOwner(name.clone()).to_string(),
            "cannot create /alice/x: only alice can create resources under /alice"
        );
        assert_eq!(
            OpError::OwnerOnly(name.clone()).to_string(),
            "only alice can purge the history of /alice/x"
        );
        assert_eq!(
            OpError::Unchanged(name).to_string(),
            "config for /alice/x has not changed, nothing to update"
        );
        assert_eq!(
            OpError::UnknownUser("zed".into()).to_string(),
            "unknown user \"zed\""
        );
    }
}
