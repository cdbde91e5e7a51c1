//! `mdmctl vpp`: work in progress.

use mdm_examples::{Args, CliError};

pub(crate) fn run(_args: Args) -> Result<(), CliError> {
    Err(CliError("mdmctl vpp is not built yet".to_owned()))
}
