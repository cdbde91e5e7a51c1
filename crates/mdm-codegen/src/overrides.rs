//! Corrections to the schema where real devices disagree with it, found by the conformance
//! tests over recorded device messages. Each entry names the file, the key (anywhere in the
//! file's request or response keys), the type to use instead, and the evidence.
//!
//! Keep this list short: a correction widens a type (usually to `<any>`) so both the
//! documented and the observed form decode; it never narrows one.

use crate::ir::{Key, Schema, Subkeys, ValueType};

/// `(schema file, key, new type, evidence)`.
pub const TYPE_OVERRIDES: &[(&str, &str, ValueType, &str)] = &[(
    "mdm/commands/information.device.yaml",
    "PreviousScanResult",
    ValueType::Any,
    "schema says <string>; macOS 10.11 to 10.15 devices send <integer> (cmdmnt and zentral test data)",
)];

/// Applies [`TYPE_OVERRIDES`] to a loaded schema.
pub fn apply(schema: &mut Schema) {
    for file in &mut schema.files {
        for (path, key, ty, _) in TYPE_OVERRIDES {
            if file.path != *path {
                continue;
            }
            retype(&mut file.payload_keys, key, *ty);
            if let Some(keys) = &mut file.response_keys {
                retype(keys, key, *ty);
            }
        }
    }
}

fn retype(keys: &mut [Key], name: &str, ty: ValueType) {
    for k in keys {
        if k.name == name {
            k.value_type = ty;
            k.subkeys = Subkeys::None;
        }
        if let Subkeys::Keys(children) = &mut k.subkeys {
            retype(children, name, ty);
        }
    }
}
