//! Every command's `--help` (and so its man page) shows examples: walks clap's command tree,
//! so a new subcommand without them fails here.

use clap::CommandFactory;

/// Commands (by their full path) whose help has no "Example" section.
fn without_examples(cmd: &mut clap::Command, path: &str, missing: &mut Vec<String>) {
    let help = cmd.render_long_help().to_string();
    if !help.contains("Example") {
        missing.push(path.to_string());
    }
    for sub in cmd.get_subcommands_mut() {
        // clap's own `help` subcommand explains itself.
        if sub.get_name() == "help" {
            continue;
        }
        let path = format!("{path} {}", sub.get_name());
        without_examples(sub, &path, missing);
    }
}

#[test]
fn every_command_has_examples_in_its_help() {
    let mut cli = anslag_cli::cli::Cli::command();
    cli.build();
    let mut missing = Vec::new();
    without_examples(&mut cli, "anslag", &mut missing);
    assert!(missing.is_empty(), "no examples in --help of: {missing:?}");
}

#[test]
fn the_man_pages_carry_the_examples() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli_help_man");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    clap_mangen::generate_to(anslag_cli::cli::Cli::command(), &dir).unwrap();
    for page in [
        "anslag.1",
        "anslag-expand.1",
        "anslag-bench.1",
        "anslag-kiosk-sim.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains("Example"), "{page} has no examples");
    }
    let sim = std::fs::read_to_string(dir.join("anslag-kiosk-sim.1")).unwrap();
    assert!(
        sim.contains("\\-\\-mqtt") && sim.contains("\\-\\-http"),
        "{sim}"
    );
}
