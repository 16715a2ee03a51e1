//! The MODULE family. Redis modules are shared objects written against
//! Redis's C module API, which Lodestone does not provide: no module is
//! ever loaded, so LIST is always empty and LOAD/LOADEX fail the way Redis
//! reports a module that cannot be loaded (with the reason in the log).

use super::{reply, ServerHandler};
use crate::server::Server;
use lodestone_commands::help::reply_help;
use lodestone_commands::{CmdError, CmdResult};

/// Handlers of this family.
pub const COMMANDS: &[(&str, ServerHandler)] = &[
    ("module|help", help),
    ("module|list", list),
    ("module|load", load),
    ("module|loadex", load),
    ("module|unload", unload),
];

/// `MODULE LIST`: the loaded modules, of which there are none.
fn list(s: &mut Server, key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() != 2 {
        return Err(CmdError::subcommand_syntax(args));
    }
    reply(s, key, |r| r.array(0));
    Ok(())
}

/// `MODULE LOAD path [arg ...]` and `MODULE LOADEX path ...`: refused,
/// with the reason logged as Redis logs a failed load.
fn load(s: &mut Server, _key: usize, args: &[&[u8]]) -> CmdResult {
    let path = String::from_utf8_lossy(args[2]);
    s.log_warning(&format!(
        "Module {path} failed to load: Lodestone does not support Redis modules"
    ));
    Err(CmdError::ModuleLoadFailed)
}

/// `MODULE UNLOAD name`: no module has that name.
fn unload(s: &mut Server, _key: usize, args: &[&[u8]]) -> CmdResult {
    if args.len() != 3 {
        return Err(CmdError::subcommand_syntax(args));
    }
    s.log_warning(&format!(
        "Error unloading module {}: no such module with that name",
        String::from_utf8_lossy(args[2])
    ));
    Err(CmdError::NoSuchModule)
}

/// `MODULE HELP`
fn help(s: &mut Server, key: usize, _args: &[&[u8]]) -> CmdResult {
    reply(s, key, |r| {
        reply_help(
            r,
            "MODULE",
            &[
                "LIST",
                "    Return a list of loaded modules.",
                "LOAD <path> [<arg> ...]",
                "    Load a module library from <path>, passing to it any optional arguments.",
                "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
                "    Load a module library from <path>, while passing it module configurations and optional arguments.",
                "UNLOAD <name>",
                "    Unload a module.",
            ],
        )
    });
    Ok(())
}
