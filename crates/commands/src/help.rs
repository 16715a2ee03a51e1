//! The `<COMMAND> HELP` reply shape shared by every container command.

use lodestone_protocol::Reply;

/// Writes Redis's help reply: a header line, `lines`, then the HELP entry,
/// all as simple strings.
pub fn reply_help(out: &mut Reply, cmd_upper: &str, lines: &[&str]) {
    out.array(lines.len() + 3);
    out.simple(&format!(
        "{cmd_upper} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        out.simple(line);
    }
    out.simple("HELP");
    out.simple("    Print this help.");
}
