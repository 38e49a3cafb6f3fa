//! Account rows: create, find, list, change role, disable; and the bootstrap admin.

use super::audit::{self, Actor};
use super::{passwords, Account, Role};
use crate::db::{is_unique_violation, now_ms, Db, StoreError};

/// Why an account was not created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("this email already has an account")]
    EmailTaken,
    #[error("no such account")]
    NotFound,
    #[error("this is the last active admin: make another admin first")]
    LastAdmin,
    #[error("COUPONRY_ADMIN_EMAIL `{0}` is not an email")]
    BadAdminEmail(String),
    #[error("password hashing: {0}")]
    Hashing(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(AccountError);
use crate::fields::FieldErrors;

#[derive(Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub disabled: i64,
    pub created_at: i64,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id,
            email: r.email,
            name: r.name,
            // The CHECK constraint keeps roles to the three names; analyst is the safe reading.
            role: Role::parse(&r.role).unwrap_or(Role::Analyst),
            disabled: r.disabled != 0,
            created_at: r.created_at,
        }
    }
}

const COLUMNS: &str = "id, email, name, role, disabled, created_at";

/// A new account's fields, checked.
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub password: String,
    pub role: Role,
}

impl NewAccount {
    pub fn parse(email: &str, name: &str, password: &str, role: &str) -> Result<NewAccount, FieldErrors> {
        let mut e = FieldErrors::default();
        let email_text = email;
        let email = e.check("email", parse_email(email));
        let name = e.check(
            "name",
            match name.trim() {
                "" => Err("enter a name".to_string()),
                n if n.chars().count() > 100 => Err("at most 100 characters".to_string()),
                n => Ok(n.to_string()),
            },
        );
        let password =
            e.check("password", passwords::check_strength(password, email_text).map(|_| password.to_string()));
        let role = e.check("role", Role::parse(role).ok_or_else(|| "choose admin, marketer or analyst".to_string()));
        match (email, name, password, role) {
            (Some(email), Some(name), Some(password), Some(role)) if e.is_empty() => {
                Ok(NewAccount { email, name, password, role })
            }
            _ => Err(e),
        }
    }
}

pub fn parse_email(text: &str) -> Result<String, String> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err("enter an email address such as ana@example.com".into())
    }
}

pub async fn create(db: &Db, actor: &Actor, new: NewAccount) -> Result<Account, AccountError> {
    let hash = passwords::hash(new.password).await.map_err(AccountError::Hashing)?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let inserted = sqlx::query_as::<_, AccountRow>(&format!(
        "INSERT INTO accounts (email, name, password_hash, role, disabled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 0, $5, $5) RETURNING {COLUMNS}"
    ))
    .bind(&new.email)
    .bind(&new.name)
    .bind(&hash)
    .bind(new.role.as_str())
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let account = match inserted {
        Ok(row) => Account::from(row),
        Err(e) if is_unique_violation(&e) => return Err(AccountError::EmailTaken),
        Err(e) => return Err(e.into()),
    };
    audit::record(&mut tx, actor, "account.create", ("account", account.id.to_string()), None::<&()>, Some(&account))
        .await?;
    tx.commit().await?;
    Ok(account)
}

/// The account and its password hash, for login.
pub async fn find_for_login(db: &Db, email: &str) -> Result<Option<(Account, String)>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        account: AccountRow,
        password_hash: String,
    }
    let row = sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS}, password_hash FROM accounts WHERE email = $1"))
        .bind(email.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| (Account::from(r.account), r.password_hash)))
}

pub async fn list(db: &Db) -> Result<Vec<Account>, StoreError> {
    let rows = sqlx::query_as::<_, AccountRow>(&format!("SELECT {COLUMNS} FROM accounts ORDER BY email"))
        .fetch_all(db.pool())
        .await?;
    Ok(rows.into_iter().map(Account::from).collect())
}

/// Changes an account's role and whether it is disabled. Refuses to leave the system without an
/// active admin; disabling an account ends its sessions.
pub async fn update(db: &Db, actor: &Actor, id: i64, role: Role, disabled: bool) -> Result<Account, AccountError> {
    let mut tx = db.begin_write().await?;
    let before = sqlx::query_as::<_, AccountRow>(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(Account::from)
        .ok_or(AccountError::NotFound)?;
    let loses_admin = before.role == Role::Admin && !before.disabled && (role != Role::Admin || disabled);
    if loses_admin {
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE role = 'admin' AND disabled = 0 AND id <> $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if admins == 0 {
            return Err(AccountError::LastAdmin);
        }
    }
    let after = sqlx::query_as::<_, AccountRow>(&format!(
        "UPDATE accounts SET role = $1, disabled = $2, updated_at = $3 WHERE id = $4 RETURNING {COLUMNS}"
    ))
    .bind(role.as_str())
    .bind(i64::from(disabled))
    .bind(now_ms())
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map(Account::from)?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(id).execute(&mut *tx).await?;
    }
    audit::record(&mut tx, actor, "account.update", ("account", id.to_string()), Some(&before), Some(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// Creates the first admin when there are no accounts. Returns the generated password when one
/// was made (to print once); several servers starting together create exactly one admin.
pub async fn bootstrap_admin(
    db: &Db,
    email: &str,
    password: Option<&str>,
) -> Result<Option<(String, String)>, AccountError> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(db.pool()).await?;
    if count > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    let password = password.map(str::to_string).unwrap_or_else(passwords::generate);
    let email = parse_email(email).map_err(|_| AccountError::BadAdminEmail(email.to_string()))?;
    let new = NewAccount {
        email: email.clone(),
        name: "Administrator".into(),
        password: password.clone(),
        role: Role::Admin,
    };
    match create(db, &Actor::system(), new).await {
        Ok(_) => Ok(Some((email, if generated { password } else { "(from COUPONRY_ADMIN_PASSWORD)".into() }))),
        // Another server made it first.
        Err(AccountError::EmailTaken) => Ok(None),
        Err(e) => Err(e),
    }
}
