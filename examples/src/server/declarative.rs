//! Declarative management for the example server, sans-IO: the answers of the
//! `DeclarativeManagement` check-in endpoints computed from one device's stored set, the
//! rows a status report stores, and the conversions between API documents and stored
//! declarations. The service ([`super::service`]) and the API ([`super::api`]) call these
//! around the [`super::store::Store`].

use mdm_checkin::DeclarativeEndpoint;
use mdm_commands::{Command, DeclarativeManagement};
use mdm_declarative::{
    Class, DateTime, Declaration, DeclarationItemsResponse, DeclarationSet, JsonObject, JsonValue,
    ManifestDeclarations, ManifestItem, StatusReport, SynchronizationTokens, TokensResponse, Utc,
    declarations_token,
};

use super::store::{DeviceDeclarations, NewCommand, StatusRow, StoredDeclaration};

/// The largest status report accepted (the crate's default body limit, 4 MiB); a larger
/// `Data` is refused with 413 before it is parsed. The check-in body limit (4 MiB by
/// default) normally refuses such a report earlier, also with 413.
pub const MAX_STATUS_BYTES: usize = mdm_declarative::MAX_BODY_BYTES;

/// The longest declaration identifier accepted, in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 256;

/// The item name under which a report's `Errors` are stored beside its status items
/// (status item names are dotted lower-case words, so it cannot collide).
pub const ERRORS_ITEM: &str = "Errors";

/// What an endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body (empty for `status`), or a one-line reason for errors.
    pub body: Vec<u8>,
    /// The decoded report, for the `status` endpoint, for the caller to store.
    pub report: Option<StatusReport>,
}

impl Answer {
    fn json(body: Vec<u8>) -> Self {
        Self {
            status: 200,
            body,
            report: None,
        }
    }

    fn error(status: u16, message: &str) -> Self {
        Self {
            status,
            body: message.as_bytes().to_vec(),
            report: None,
        }
    }
}

/// Answers `endpoint` for a device whose stored set is `set`; `data` is the check-in's
/// `Data` (the status report). A declaration path answers 404 unless that identifier is
/// in this device's set with that class and its body was read, so one device cannot read
/// another's declarations.
pub fn answer(
    set: &DeviceDeclarations,
    endpoint: &DeclarativeEndpoint,
    data: Option<&[u8]>,
) -> Answer {
    let encoded = match endpoint {
        DeclarativeEndpoint::Tokens => tokens(set).encode(),
        DeclarativeEndpoint::DeclarationItems => manifest(set).encode(),
        DeclarativeEndpoint::Status => {
            let Some(data) = data else {
                return Answer::error(400, "status without Data");
            };
            if data.len() > MAX_STATUS_BYTES {
                return Answer::error(413, "status report over the size limit");
            }
            return match StatusReport::decode(data) {
                Ok(report) => Answer {
                    status: 200,
                    body: Vec::new(),
                    report: Some(report),
                },
                Err(e) => Answer::error(400, &format!("status report: {e}")),
            };
        }
        other => {
            let Some((class, identifier)) = other.declaration() else {
                return Answer::error(404, "no such endpoint");
            };
            let wanted = Class::from_path_word(class);
            let found = set.declarations.iter().find(|d| {
                d.identifier == identifier
                    && wanted.is_some()
                    && Class::of_type(&d.declaration_type) == wanted
                    && !d.body.is_empty()
            });
            return match found {
                Some(d) => Answer::json(d.body.clone()),
                None => Answer::error(404, "no such declaration"),
            };
        }
    };
    match encoded {
        Ok(body) => Answer::json(body),
        Err(e) => Answer::error(500, &e.to_string()),
    }
}

/// The `DeclarationsToken` of a stored set.
pub fn set_token(set: &DeviceDeclarations) -> String {
    declarations_token(
        set.declarations
            .iter()
            .map(|d| (d.identifier.as_str(), d.server_token.as_str())),
    )
}

/// The `tokens` answer: the set's token and the time it last changed (the Unix epoch for
/// a device that never had a set).
pub fn tokens(set: &DeviceDeclarations) -> TokensResponse {
    let at = set
        .changed_at
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    TokensResponse::new(SynchronizationTokens::new(set_token(set), at))
}

/// The `declaration-items` answer. Declarations of a type outside the four classes are
/// left out (the API does not store them anyway).
pub fn manifest(set: &DeviceDeclarations) -> DeclarationItemsResponse {
    let mut declarations = ManifestDeclarations::default();
    for d in &set.declarations {
        let item = ManifestItem::new(d.identifier.clone(), d.server_token.clone());
        match Class::of_type(&d.declaration_type) {
            Some(Class::Activation) => declarations.activations.push(item),
            Some(Class::Asset) => declarations.assets.push(item),
            Some(Class::Configuration) => declarations.configurations.push(item),
            Some(Class::Management) => declarations.management.push(item),
            None => {}
        }
    }
    DeclarationItemsResponse {
        declarations,
        declarations_token: set_token(set),
        extra: JsonObject::new(),
    }
}

/// The rows a status report stores: each item's dotted name and JSON value, and its
/// `Errors` under [`ERRORS_ITEM`].
pub fn status_rows(report: &StatusReport) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = report
        .status_items
        .items
        .iter()
        .filter_map(|item| {
            let value = item.to_value().ok()?;
            Some((item.name().to_owned(), value.to_string()))
        })
        .collect();
    if let Some(errors) = &report.errors
        && let Ok(v) = serde_json::to_string(errors)
    {
        rows.push((ERRORS_ITEM.to_owned(), v));
    }
    rows
}

/// The latest status of a device as the API shows it: every item by name, the errors, and
/// the state of each declaration from `management.declarations`.
pub fn status_json(rows: &[StatusRow]) -> JsonValue {
    let mut items = JsonObject::new();
    let mut errors = JsonValue::Null;
    let mut updated_at = None;
    for r in rows {
        let value = serde_json::from_str(&r.value).unwrap_or(JsonValue::String(r.value.clone()));
        updated_at = updated_at.max(Some(r.at));
        if r.item == ERRORS_ITEM {
            errors = value;
        } else {
            items.insert(r.item.clone(), value);
        }
    }
    let declarations: Vec<JsonValue> = declaration_states(&items)
        .into_iter()
        .map(|(identifier, server_token, active, valid)| {
            serde_json::json!({
                "identifier": identifier, "server_token": server_token,
                "active": active, "valid": valid,
            })
        })
        .collect();
    serde_json::json!({
        "status_items": items,
        "errors": errors,
        "declarations": declarations,
        "updated_at": updated_at,
    })
}

/// The identifiers and states of the declarations a status lists
/// (`management.declarations`): `(identifier, server token, active, valid)`.
pub fn declaration_states(latest: &JsonObject) -> Vec<(String, String, bool, String)> {
    let mut out = Vec::new();
    let Some(JsonValue::Object(decls)) = latest.get("management.declarations") else {
        return out;
    };
    for class in ["activations", "assets", "configurations", "management"] {
        let Some(JsonValue::Array(items)) = decls.get(class) else {
            continue;
        };
        for item in items {
            let s = |k: &str| {
                item.get(k)
                    .and_then(JsonValue::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let active = item
                .get("active")
                .and_then(JsonValue::as_bool)
                .unwrap_or(false);
            out.push((s("identifier"), s("server-token"), active, s("valid")));
        }
    }
    out
}

/// A declaration uploaded through the API, ready to store: its `ServerToken` replaced by
/// its content token ([`Declaration::content_token`]), so the same content always has the
/// same token and any change a new one.
///
/// # Errors
/// A reason for the caller: an unknown type, a type outside the four classes, an empty,
/// over-long or path-breaking identifier.
pub fn to_stored(mut declaration: Declaration) -> Result<StoredDeclaration, String> {
    let ty = declaration.declaration_type();
    if !ty.is_known() {
        return Err(format!("unknown declaration type {:?}", ty.as_str()));
    }
    if declaration.class().is_none() {
        return Err(format!("{:?} is not of a declaration class", ty.as_str()));
    }
    let id = &declaration.identifier;
    if id.is_empty() || id.len() > MAX_IDENTIFIER_BYTES {
        return Err(format!(
            "Identifier must be 1 to {MAX_IDENTIFIER_BYTES} bytes"
        ));
    }
    if id.chars().any(|c| c == '/' || c.is_control()) {
        return Err("Identifier must not contain '/' or control characters".into());
    }
    let token = declaration.content_token().map_err(|e| e.to_string())?;
    declaration.server_token = Some(token.clone());
    let body = declaration.encode().map_err(|e| e.to_string())?;
    Ok(StoredDeclaration {
        identifier: declaration.identifier,
        declaration_type: ty.as_str().to_owned(),
        server_token: token,
        body,
        updated_at: 0,
    })
}

/// The stored declarations as a [`DeclarationSet`], for its validator.
///
/// # Errors
/// A stored body that no longer decodes (written by another version).
pub fn to_set(stored: &[StoredDeclaration]) -> Result<DeclarationSet, String> {
    let mut set = DeclarationSet::new();
    for d in stored {
        let decl = Declaration::decode(&d.body).map_err(|e| format!("{}: {e}", d.identifier))?;
        set.insert(decl)
            .map_err(|e| format!("{}: {e}", d.identifier))?;
    }
    Ok(set)
}

/// A `DeclarativeManagement` command without `Data`: the device fetches its tokens and
/// syncs.
///
/// # Errors
/// When the command cannot be encoded.
pub fn sync_command() -> Result<NewCommand, String> {
    let command = Command::new(DeclarativeManagement::default());
    Ok(NewCommand {
        command_uuid: command.command_uuid.as_str().to_owned(),
        request_type: command.request_type().as_str().to_owned(),
        body: command.encode().map_err(|e| e.to_string())?,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use mdm_declarative::{PasscodeSettings, SimpleActivation};

    fn set(body_of: Option<&str>) -> DeviceDeclarations {
        let mut out = vec![
            to_stored(Declaration::new("p", PasscodeSettings::default())).unwrap(),
            to_stored(Declaration::new(
                "a",
                SimpleActivation::new(vec!["p".into()]),
            ))
            .unwrap(),
        ];
        out.sort_by(|a, b| a.identifier.cmp(&b.identifier));
        for d in &mut out {
            if Some(d.identifier.as_str()) != body_of {
                d.body.clear();
            }
        }
        DeviceDeclarations {
            changed_at: Some(1_700_000_000),
            declarations: out,
        }
    }

    #[test]
    fn endpoints_answer_from_the_set() {
        let s = set(None);
        let a = answer(&s, &DeclarativeEndpoint::Tokens, None);
        assert_eq!(a.status, 200);
        let t = TokensResponse::decode(&a.body).unwrap();
        // The same token a DeclarationSet of the same declarations computes.
        let full = set(Some("p"));
        let mut with_bodies = full.clone();
        with_bodies.declarations = vec![
            to_stored(Declaration::new(
                "a",
                SimpleActivation::new(vec!["p".into()]),
            ))
            .unwrap(),
            to_stored(Declaration::new("p", PasscodeSettings::default())).unwrap(),
        ];
        let ds = to_set(&with_bodies.declarations).unwrap();
        assert_eq!(t.sync_tokens.declarations_token, ds.declarations_token());
        assert!(ds.validate().is_empty());
        let a = answer(&s, &DeclarativeEndpoint::DeclarationItems, None);
        let m = DeclarationItemsResponse::decode(&a.body).unwrap();
        assert_eq!(m, ds.manifest());

        let a = answer(
            &full,
            &DeclarativeEndpoint::from("declaration/configuration/p"),
            None,
        );
        assert_eq!(a.status, 200);
        assert_eq!(Declaration::decode(&a.body).unwrap().identifier, "p");
        // Wrong class, not in the set, body not read: 404 and nothing else.
        for path in [
            "declaration/activation/p",
            "declaration/configuration/other-device",
            "declaration/x/p",
            "declaration/activation/a",
        ] {
            let a = answer(&full, &DeclarativeEndpoint::from(path), None);
            assert_eq!(a.status, 404, "{path}");
            assert!(!String::from_utf8_lossy(&a.body).contains("Payload"));
        }
    }

    #[test]
    fn status_reports_become_rows_and_bad_ones_are_refused() {
        let s = set(None);
        let body = br#"{"StatusItems":{"passcode":{"is-compliant":true},"management":{"declarations":{"activations":[{"identifier":"a","server-token":"1","active":true,"valid":"valid"}],"configurations":[],"assets":[],"management":[]}}},"Errors":[],"FullReport":true}"#;
        let a = answer(&s, &DeclarativeEndpoint::Status, Some(body));
        assert_eq!(a.status, 200);
        let rows: Vec<StatusRow> = status_rows(a.report.as_ref().unwrap())
            .into_iter()
            .map(|(item, value)| StatusRow { item, value, at: 5 })
            .collect();
        let v = status_json(&rows);
        assert_eq!(v["status_items"]["passcode.is-compliant"], true);
        assert_eq!(v["errors"], serde_json::json!([]));
        assert_eq!(v["declarations"][0]["identifier"], "a");
        assert_eq!(v["declarations"][0]["active"], true);

        assert_eq!(
            answer(&s, &DeclarativeEndpoint::Status, Some(b"{")).status,
            400
        );
        assert_eq!(answer(&s, &DeclarativeEndpoint::Status, None).status, 400);
        let big = vec![b' '; MAX_STATUS_BYTES + 1];
        assert_eq!(
            answer(&s, &DeclarativeEndpoint::Status, Some(&big)).status,
            413
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            answer(&s, &DeclarativeEndpoint::Status, Some(deep.as_bytes())).status,
            400
        );
    }

    #[test]
    fn uploads_get_content_tokens_and_bad_ones_are_refused() {
        let p = PasscodeSettings {
            minimum_length: Some(6),
            ..Default::default()
        };
        let a = to_stored(Declaration::new("p", p.clone()).with_server_token("mine")).unwrap();
        let b = to_stored(Declaration::new("p", p)).unwrap();
        assert_eq!(a.server_token, b.server_token);
        assert_ne!(a.server_token, "mine");
        let c = to_stored(Declaration::new("p", PasscodeSettings::default())).unwrap();
        assert_ne!(a.server_token, c.server_token);
        let unknown =
            Declaration::decode(br#"{"Type":"com.example.nothing","Identifier":"u","Payload":{}}"#)
                .unwrap();
        assert!(to_stored(unknown).unwrap_err().contains("unknown"));
        for id in ["", "a/b", "x\n"] {
            assert!(to_stored(Declaration::new(id, PasscodeSettings::default())).is_err());
        }
        let cmd = sync_command().unwrap();
        assert_eq!(cmd.request_type, "DeclarativeManagement");
    }
}
