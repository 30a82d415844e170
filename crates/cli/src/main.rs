//! The `myreplay` command. Everything it does is library API; this file only
//! parses arguments, calls the libraries and prints.

mod args;
mod events;
mod exit;
mod transactions;

use clap::Parser;

fn main() {
    let args = args::Cli::parse();
    let result = match &args.command {
        args::Command::Events(a) => events::run(a),
        args::Command::Transactions(a) => transactions::run(a),
    };
    std::process::exit(exit::report(result));
}
