use std::sync::Arc;

use terraform_provider_emr::provider::EmrProvider;
use terraform_provider_emr::review;
use terraform_provider_emr::tfplugin::serve;

const USAGE: &str = "terraform-provider-emr: a Terraform provider (emrlaunch/emr).

Terraform starts this program itself. Flags:
  --debug     serve without TLS and print the TF_REATTACH_PROVIDERS value to use
  --version   print the version

Access review of a plan (reads nothing from AWS):
  terraform show -json PLANFILE | terraform-provider-emr review [--format markdown|json] [--fail-on-widening] [FILE|-]";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("review") {
        let code = review::cli::main(
            &args[1..],
            &mut std::io::stdin().lock(),
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        );
        std::process::exit(code);
    }
    let mut debug = false;
    for a in &args {
        match a.as_str() {
            "--debug" | "-debug" => debug = true,
            "--version" | "-version" => {
                eprintln!("terraform-provider-emr {}", env!("CARGO_PKG_VERSION"));
                return;
            }
            "--help" | "-help" | "-h" => {
                eprintln!("{USAGE}");
                return;
            }
            other => {
                eprintln!("terraform-provider-emr: unknown argument {other:?}\n\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    let res = serve::run(
        "terraform-provider-emr",
        || Arc::new(EmrProvider::new()),
        "registry.terraform.io/emrlaunch/emr",
        debug,
    );
    if let Err(msg) = res {
        eprintln!("{msg}");
        std::process::exit(1);
    }
}
