//! The `myreplay` command. Everything it does is library API; this file only
//! parses arguments, calls the libraries and prints.

mod apply;
mod args;
mod argv;
mod events;
mod exit;
mod input;
mod output;
mod plan;
mod rows;
mod time;
mod transactions;

use clap::Parser;

fn main() {
    let args = args::Cli::parse_from(args::normalize_password_flag(argv::args_hiding_passwords()));
    let result = match &args.command {
        args::Command::Events(a) => events::run(a),
        args::Command::Transactions(a) => transactions::run(a),
        args::Command::Plan(a) => plan::run(a),
        args::Command::Apply(a) => apply::run(a),
    };
    std::process::exit(exit::report(result));
}
