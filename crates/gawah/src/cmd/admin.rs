//! `gawah admin`: organisations, members, API tokens. Each is a logged change.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use gawah_core::vocab::Role;
use gawah_core::{Action, LogEntry, MemberId, OrgId, Timestamp};
use gawah_store::records::NewMember;
use gawah_store::sqlite::OpenMode;
use gawah_store::{Change, Ledger, RecordWrite};
use gawah_web::auth::{hash_password, new_secret, new_totp_secret, secret_hash, totp_uri};

use super::{keys, open_ledger};
use crate::Outcome;
use crate::cli::{AdminCommand, Global, KeysCommand, OrgCommand, TokenCommand, UserCommand};

pub fn run(g: &Global, cmd: AdminCommand) -> Result<Outcome> {
    match cmd {
        AdminCommand::Org(_) | AdminCommand::Keys(_) => return run_with_keys(g, cmd),
        _ => {}
    }
    let ledger = open_ledger(g, OpenMode::Checked)?;
    match cmd {
        AdminCommand::Org(_) | AdminCommand::Keys(_) => {}
        AdminCommand::User(UserCommand::Add {
            username,
            role,
            org,
            password_stdin: _,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let (id, totp) = add_user(&ledger, &username, role, &org, password)?;
            if let Some(secret) = totp {
                eprintln!("TOTP is required for admins. Add this to an authenticator app:");
                println!("{}", totp_uri(ledger.origin(), &username, &secret));
            }
            println!("{id}");
        }
        AdminCommand::Token(TokenCommand::Create { username }) => {
            let token = create_token(&ledger, &username)?;
            eprintln!("Store this token now; it is not kept and cannot be shown again.");
            println!("{token}");
        }
        AdminCommand::Token(TokenCommand::List { username }) => {
            for (id, created) in list_tokens(&ledger, &username)? {
                let created = created.to_rfc3339();
                if g.json {
                    println!("{}", serde_json::json!({"id": id, "created": created}));
                } else {
                    println!("{id}  created {created}");
                }
            }
        }
        AdminCommand::Token(TokenCommand::Revoke { id }) => {
            revoke_token(&ledger, &id)?;
            eprintln!("Revoked {id}; it no longer authenticates.");
        }
    }
    Ok(Outcome::Ok)
}

/// The admin commands that need the keys.
fn run_with_keys(g: &Global, cmd: AdminCommand) -> Result<Outcome> {
    match cmd {
        AdminCommand::Org(OrgCommand::Add { name }) => {
            let ledger = keys::open_unlocked(g, OpenMode::Checked)?;
            let id = add_org(&ledger, &name)?;
            println!("{id}");
        }
        AdminCommand::Keys(KeysCommand::Rotate { org }) => {
            let scope = if org == gawah_store::INSTANCE_SCOPE {
                org
            } else {
                let ledger = open_ledger(g, OpenMode::Checked)?;
                let found = ledger
                    .store
                    .org_by_name(&org)?
                    .with_context(|| format!("no organisation named {org:?}"))?;
                found.id.to_string()
            };
            keys::rotate(g, &scope)?;
        }
        AdminCommand::Keys(KeysCommand::ChangePassphrase {
            new_passphrase_file,
            new_key_file,
        }) => keys::change_secret(g, new_passphrase_file.as_deref(), new_key_file.as_deref())?,
        _ => bail!("not a command that needs keys"),
    }
    Ok(Outcome::Ok)
}

fn commit(ledger: &Ledger, record: RecordWrite, action: Action, subject: &str) -> Result<()> {
    let entry = LogEntry::new(ledger.clock().now(), ledger.actor(), action, subject);
    ledger.commit(&[Change { record, entry }])?;
    Ok(())
}

/// Adds an organisation; returns its id.
pub fn add_org(ledger: &Ledger, name: &str) -> Result<OrgId> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        bail!("an organisation name must be 1 to 200 characters without control characters");
    }
    let id = OrgId::random()?;
    // The organisation and its first key, in one transaction: no organisation without a key.
    let key = ledger.keys()?.new_org_key(id.as_str(), 1)?;
    let now = ledger.clock().now();
    ledger.commit(&[
        Change {
            record: RecordWrite::Org {
                id: id.clone(),
                name: name.to_owned(),
            },
            entry: LogEntry::new(now, ledger.actor(), Action::Create, id.as_str()),
        },
        Change {
            record: RecordWrite::OrgKey(key),
            entry: LogEntry::new(now, ledger.actor(), Action::Create, id.as_str())
                .with_field("key", "created")
                .with_field("key_version", "1"),
        },
    ])?;
    // Its intake key for anonymous submissions, sealed under a data key of the organisation
    // key committed above. Should this step fail, an admin creates it later at /intake.
    gawah_web::intake::create_intake_key(ledger, &id, ledger.actor())?;
    Ok(id)
}

/// Adds a member; returns the id and, for admins, the TOTP secret.
pub fn add_user(
    ledger: &Ledger,
    username: &str,
    role: Role,
    org: &str,
    password: &str,
) -> Result<(MemberId, Option<Vec<u8>>)> {
    let valid = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !valid {
        bail!("a username must be 3 to 64 characters of letters, digits, '.', '_' or '-'");
    }
    let org = ledger.store.org_by_name(org)?.with_context(|| {
        format!("no organisation named {org:?}; add it with `gawah admin org add`")
    })?;
    let password_hash = hash_password(password)?;
    let totp_secret = if role == Role::Admin {
        Some(new_totp_secret()?)
    } else {
        None
    };
    let id = MemberId::random()?;
    let member = NewMember {
        id: id.clone(),
        org: org.id,
        username: username.to_owned(),
        role,
        password_hash,
        totp_secret: totp_secret.clone(),
    };
    commit(
        ledger,
        RecordWrite::Member(member),
        Action::Create,
        id.as_str(),
    )?;
    Ok((id, totp_secret))
}

/// Creates an API token for a member; returns the token.
pub fn create_token(ledger: &Ledger, username: &str) -> Result<String> {
    let member = ledger
        .store
        .member_by_username(username)?
        .with_context(|| format!("no member {username:?}"))?;
    let token = new_secret()?;
    let record = RecordWrite::ApiToken {
        member: member.id.clone(),
        token_hash: secret_hash(&token),
    };
    commit(
        ledger,
        record,
        Action::Create,
        &format!("token:{}", member.id),
    )?;
    Ok(token)
}

/// A token's id for `list` and `revoke`: the first 8 bytes of its SHA-256, in hex. It names
/// the token without being it; the hash of a 256-bit secret gives nothing away.
pub fn token_id(token_hash: &[u8; 32]) -> String {
    format!("tok_{}", hex::encode(&token_hash[..8]))
}

/// A member's API tokens, oldest first: each one's id and creation time.
pub fn list_tokens(ledger: &Ledger, username: &str) -> Result<Vec<(String, Timestamp)>> {
    let member = ledger
        .store
        .member_by_username(username)?
        .with_context(|| format!("no member {username:?}"))?;
    Ok(ledger
        .store
        .api_tokens()?
        .into_iter()
        .filter(|t| t.member == member.id)
        .map(|t| (token_id(&t.token_hash), t.created_at))
        .collect())
}

/// Revokes the API token with this id: its row is deleted in the transaction that logs a
/// `disposition` entry for `token:<member>`, so the revocation is as visible as the creation.
pub fn revoke_token(ledger: &Ledger, id: &str) -> Result<()> {
    let id = id.trim().to_ascii_lowercase();
    let token = ledger
        .store
        .api_tokens()?
        .into_iter()
        .find(|t| token_id(&t.token_hash) == id)
        .with_context(|| format!("no API token {id:?}; `gawah admin token list` shows them"))?;
    let entry = LogEntry::new(
        ledger.clock().now(),
        ledger.actor(),
        Action::Disposition,
        &format!("token:{}", token.member),
    )
    .with_field("token", &id);
    let record = RecordWrite::RevokeApiToken {
        member: token.member,
        token_hash: token.token_hash,
    };
    ledger.commit(&[Change { record, entry }])?;
    Ok(())
}
