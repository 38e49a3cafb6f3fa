//! The API reference in the dashboard: the generated OpenAPI document, read into a plain model
//! and rendered as a page, so the page, the JSON and the routes are one source.

pub mod pages;
#[cfg(feature = "ssr")]
mod read;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub title: String,
    pub version: String,
    pub description: String,
    pub base: String,
    pub groups: Vec<Group>,
    pub schemas: Vec<Schema>,
}

/// The operations of one tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub description: String,
    pub operations: Vec<Operation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub description: String,
    pub params: Vec<Field>,
    /// The request body's type.
    pub body: Option<String>,
    pub responses: Vec<Response>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub status: String,
    pub description: String,
    pub body: Option<String>,
}

/// A parameter or a schema property.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// `path`, `query`, `header` for parameters; empty for properties.
    pub location: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    pub name: String,
    pub description: String,
    /// `object`, `one of A | B`, `string: a | b`, …
    pub kind: String,
    pub fields: Vec<Field>,
}

impl Operation {
    /// The anchor of the operation on the page.
    pub fn anchor(&self) -> String {
        let path: String = self.path.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        format!("op-{}{}", self.method.to_lowercase(), path)
    }
}

#[server]
pub async fn api_reference() -> Result<Reference, AppError> {
    use crate::accounts::auth::require;
    use crate::accounts::Permission;
    require(Permission::ViewCoupons).await?;
    let doc = serde_json::to_value(crate::api::openapi())
        .map_err(|e| AppError::internal("reference: cannot encode JSON", e))?;
    Ok(read::reference(&doc))
}
