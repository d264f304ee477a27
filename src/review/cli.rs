//! `terraform-provider-emr review [--format markdown|json] [--fail-on-widening] [FILE|-]`

use std::io::{Read, Write};

use super::render;

pub const USAGE: &str =
    "terraform-provider-emr review [--format markdown|json] [--fail-on-widening] [FILE|-]

Reads the JSON of `terraform show -json PLANFILE` (or of `terraform show -json`
for the state) from FILE, or from stdin when FILE is absent or `-`, and prints
who may do what through the IAM policies this provider writes.

  --format markdown|json  output format (default markdown)
  --fail-on-widening      exit 3 when the plan adds access

Exit codes: 0 reviewed; 1 the review could not be written; 2 bad arguments
or input; 3 access widens (with --fail-on-widening). Reads nothing from AWS.";

/// The review succeeded and nothing stops the pipeline.
pub const EXIT_OK: i32 = 0;
/// The review could not be written.
pub const EXIT_IO: i32 = 1;
/// Bad arguments, or input that is not a plan or state JSON.
pub const EXIT_BAD_INPUT: i32 = 2;
/// `--fail-on-widening` and the plan widens access.
pub const EXIT_WIDENS: i32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Json,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub format: Format,
    pub fail_on_widening: bool,
    /// None: stdin.
    pub file: Option<String>,
    pub help: bool,
}

fn format(name: &str) -> Result<Format, String> {
    match name {
        "markdown" | "md" => Ok(Format::Markdown),
        "json" => Ok(Format::Json),
        other => Err(format!("--format must be markdown or json, got {other:?}")),
    }
}

pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        format: Format::Markdown,
        fail_on_widening: false,
        file: None,
        help: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--format" | "-format" => {
                let v = it
                    .next()
                    .ok_or("--format needs a value: markdown or json")?;
                o.format = format(v)?;
            }
            s if s.starts_with("--format=") || s.starts_with("-format=") => {
                o.format = format(s.split_once('=').map_or("", |(_, v)| v))?;
            }
            "--fail-on-widening" | "-fail-on-widening" => o.fail_on_widening = true,
            "--help" | "-help" | "-h" => o.help = true,
            "-" => o.file = None,
            s if s.starts_with('-') => return Err(format!("unknown flag {s:?}")),
            path => {
                if o.file.is_some() {
                    return Err(format!("only one input file, got another: {path:?}"));
                }
                o.file = Some(path.to_string());
            }
        }
    }
    Ok(o)
}

/// Runs the review; returns the exit code.
pub fn main(
    args: &[String],
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            let _ = writeln!(stderr, "terraform-provider-emr review: {e}\n\n{USAGE}");
            return EXIT_BAD_INPUT;
        }
    };
    if opts.help {
        return match writeln!(stdout, "{USAGE}") {
            Ok(()) => EXIT_OK,
            Err(_) => EXIT_IO,
        };
    }
    let text = match read_input(opts.file.as_deref(), stdin) {
        Ok(t) => t,
        Err(e) => {
            let _ = writeln!(stderr, "terraform-provider-emr review: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let report = match super::review_text(&text) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(stderr, "terraform-provider-emr review: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let printed = match opts.format {
        Format::Markdown => write!(stdout, "{}", render::markdown(&report)),
        Format::Json => writeln!(stdout, "{:#}", render::json(&report)),
    };
    if let Err(e) = printed.and_then(|()| stdout.flush()) {
        let _ = writeln!(
            stderr,
            "terraform-provider-emr review: writing the review: {e}"
        );
        return EXIT_IO;
    }
    if opts.fail_on_widening && report.widens() {
        let _ = writeln!(
            stderr,
            "terraform-provider-emr review: access widens ({} grants added, {} managed policies attached, {} policies not reviewable); failing as --fail-on-widening asks",
            report.grants.iter().filter(|g| g.widens()).count(),
            report.attachments.iter().filter(|a| a.status == super::Status::Added).count(),
            report.unreviewed.len()
        );
        return EXIT_WIDENS;
    }
    EXIT_OK
}

fn read_input(file: Option<&str>, stdin: &mut dyn Read) -> Result<String, String> {
    match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("reading {path}: {e}")),
        None => {
            let mut s = String::new();
            stdin
                .read_to_string(&mut s)
                .map_err(|e| format!("reading stdin: {e}"))?;
            Ok(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], input: &str) -> (i32, String, String) {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = main(&args, &mut input.as_bytes(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn flags() {
        let o = parse_args(&[
            "--format=json".into(),
            "--fail-on-widening".into(),
            "p.json".into(),
        ])
        .unwrap();
        assert_eq!(o.format, Format::Json);
        assert!(o.fail_on_widening);
        assert_eq!(o.file.as_deref(), Some("p.json"));
        assert_eq!(parse_args(&["-".into()]).unwrap().file, None);
        assert!(parse_args(&["--format".into()]).is_err());
        assert!(parse_args(&["--format".into(), "yaml".into()]).is_err());
        assert!(parse_args(&["--nope".into()]).is_err());
        assert!(parse_args(&["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn bad_input_exits_2_with_a_message() {
        let (code, out, err) = run(&[], "this is not json");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert!(out.is_empty());
        assert!(err.contains("not JSON"), "{err}");
        let (code, _, err) = run(&["--format", "json"], r#"{"hello":"world"}"#);
        assert_eq!(code, EXIT_BAD_INPUT);
        assert!(err.contains("neither a plan"), "{err}");
        let (code, _, err) = run(&["/nonexistent/plan.json"], "");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert!(err.contains("/nonexistent/plan.json"), "{err}");
    }

    #[test]
    fn an_empty_state_reviews_to_nothing() {
        let (code, out, _) = run(&["--fail-on-widening"], r#"{"format_version":"1.0"}"#);
        assert_eq!(code, EXIT_OK);
        assert!(out.contains("No access is added"), "{out}");
    }
}
