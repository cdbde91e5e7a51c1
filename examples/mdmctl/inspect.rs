//! `mdmctl inspect KIND FILE`: decode an MDM artifact and print it as JSON.

use mdm_examples::{Args, CliError};

pub(crate) fn run(mut args: Args) -> Result<(), CliError> {
    let kind = args
        .positional()
        .ok_or("usage: mdmctl inspect checkin FILE")?;
    match kind.as_str() {
        "checkin" => crate::checkin::run(args),
        "command" => crate::commands::inspect_command(args),
        "response" => crate::commands::inspect_response(args),
        "profile" => crate::profile_inspect::run(args),
        "scep" => crate::scep::inspect(args),
        "declaration" => crate::declarative::inspect_declaration(args),
        "status" => crate::declarative::inspect_status(args),
        other => Err(CliError(format!("unknown artifact kind {other:?}"))),
    }
}
