//! The `myreplay` command. Everything it does is library API; this file only
//! parses arguments, calls the libraries and prints.

mod apply;
mod args;
mod argv;
mod events;
mod exit;
mod plan;
mod transactions;

use clap::Parser;

fn main() {
    let args = args::Cli::parse_from(args::normalize_password_flag(argv::args_hiding_passwords()));
    let result = match &args.command {
        args::Command::Events(a) => events::run(a).map_err(anyhow::Error::from),
        args::Command::Transactions(a) => transactions::run(a).map_err(anyhow::Error::from),
        args::Command::Plan(a) => plan::run(a),
        args::Command::Apply(a) => apply::run(a),
    };
    std::process::exit(exit::report(result));
}
