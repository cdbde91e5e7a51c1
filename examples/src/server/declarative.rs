//! Declarative management for the example server, sans-IO: the answers of the
//! `DeclarativeManagement` check-in endpoints computed from one device's declaration set,
//! and the per-device "latest status" that status reports fold into.
//!
//! Not yet wired to the store and routes (see docs/declarative.md, "server"): the service
//! still answers with an empty set. The functions here are what that wiring calls.

use mdm_checkin::DeclarativeEndpoint;
use mdm_declarative::{Class, DateTime, DeclarationSet, JsonObject, JsonValue, StatusReport, Utc};

/// The largest status report accepted (the crate's default body limit, 4 MiB); a larger
/// `Data` is refused with 413 before it is parsed.
pub const MAX_STATUS_BYTES: usize = mdm_declarative::MAX_BODY_BYTES;

/// What an endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body (empty for `status` and errors).
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

/// Answers `endpoint` for a device whose set is `set` (last changed at `changed_at`);
/// `data` is the check-in's `Data` (the status report). A declaration path answers 404
/// unless that identifier is in this device's set with that class, so one device cannot
/// read another's declarations.
pub fn answer(
    set: &DeclarationSet,
    changed_at: DateTime<Utc>,
    endpoint: &DeclarativeEndpoint,
    data: Option<&[u8]>,
) -> Answer {
    let encoded = match endpoint {
        DeclarativeEndpoint::Tokens => set.tokens(changed_at).encode(),
        DeclarativeEndpoint::DeclarationItems => set.manifest().encode(),
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
            let found = set
                .get(identifier)
                .filter(|d| d.class().is_some() && d.class() == Class::from_path_word(class));
            match found {
                Some(d) => d.encode(),
                None => return Answer::error(404, "no such declaration"),
            }
        }
    };
    match encoded {
        Ok(body) => Answer::json(body),
        Err(e) => Answer::error(500, &e.to_string()),
    }
}

/// Folds `report` into `latest`, the device's last known value of every status item (by
/// dotted name) plus `Errors`: a full report replaces everything, an incremental one
/// replaces the items it carries.
pub fn fold_status(latest: &mut JsonObject, report: &StatusReport) {
    if report.is_full() {
        latest.clear();
    }
    for item in &report.status_items.items {
        if let Ok(value) = item.to_value() {
            latest.insert(item.name().to_owned(), value);
        }
    }
    if let Some(errors) = &report.errors
        && let Ok(v) = serde_json::to_value(errors)
    {
        latest.insert("Errors".into(), v);
    }
}

/// The identifiers and states of the declarations a status report lists
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use mdm_declarative::{Declaration, PasscodeSettings, SimpleActivation};

    fn set() -> DeclarationSet {
        let mut set = DeclarationSet::new();
        set.insert(Declaration::new("p", PasscodeSettings::default()))
            .unwrap();
        set.insert(Declaration::new(
            "a",
            SimpleActivation::new(vec!["p".into()]),
        ))
        .unwrap();
        set
    }

    #[test]
    fn endpoints_answer_from_the_set() {
        let set = set();
        let t = Utc::now();
        let a = answer(&set, t, &DeclarativeEndpoint::Tokens, None);
        assert_eq!(a.status, 200);
        let tokens = mdm_declarative::TokensResponse::decode(&a.body).unwrap();
        assert_eq!(
            tokens.sync_tokens.declarations_token,
            set.declarations_token()
        );
        let a = answer(&set, t, &DeclarativeEndpoint::DeclarationItems, None);
        let m = mdm_declarative::DeclarationItemsResponse::decode(&a.body).unwrap();
        assert_eq!(m.declarations.configurations.len(), 1);
        let a = answer(
            &set,
            t,
            &DeclarativeEndpoint::from("declaration/configuration/p"),
            None,
        );
        assert_eq!(a.status, 200);
        assert_eq!(Declaration::decode(&a.body).unwrap().identifier, "p");
        // Wrong class, not in the set: 404 and nothing else.
        for path in [
            "declaration/activation/p",
            "declaration/configuration/other-device",
            "declaration/x/p",
        ] {
            let a = answer(&set, t, &DeclarativeEndpoint::from(path), None);
            assert_eq!(a.status, 404, "{path}");
            assert!(!String::from_utf8_lossy(&a.body).contains("Payload"));
        }
    }

    #[test]
    fn status_reports_fold_and_bad_ones_are_refused() {
        let set = set();
        let t = Utc::now();
        let body = br#"{"StatusItems":{"passcode":{"is-compliant":true},"management":{"declarations":{"activations":[{"identifier":"a","server-token":"1","active":true,"valid":"valid"}],"configurations":[],"assets":[],"management":[]}}},"Errors":[],"FullReport":true}"#;
        let a = answer(&set, t, &DeclarativeEndpoint::Status, Some(body));
        assert_eq!(a.status, 200);
        let mut latest = JsonObject::new();
        fold_status(&mut latest, a.report.as_ref().unwrap());
        assert_eq!(latest["passcode.is-compliant"], JsonValue::Bool(true));
        assert_eq!(
            declaration_states(&latest),
            vec![("a".into(), "1".into(), true, "valid".into())]
        );
        let inc = StatusReport::decode(br#"{"StatusItems":{"passcode":{"is-compliant":false}}}"#)
            .unwrap();
        fold_status(&mut latest, &inc);
        assert_eq!(latest["passcode.is-compliant"], JsonValue::Bool(false));
        assert!(latest.contains_key("management.declarations"));

        assert_eq!(
            answer(&set, t, &DeclarativeEndpoint::Status, Some(b"{")).status,
            400
        );
        assert_eq!(
            answer(&set, t, &DeclarativeEndpoint::Status, None).status,
            400
        );
        let big = vec![b' '; MAX_STATUS_BYTES + 1];
        assert_eq!(
            answer(&set, t, &DeclarativeEndpoint::Status, Some(&big)).status,
            413
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            answer(&set, t, &DeclarativeEndpoint::Status, Some(deep.as_bytes())).status,
            400
        );
    }
}
