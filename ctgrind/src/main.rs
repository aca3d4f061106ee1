//! The constant-time check (docs/CONSTANT_TIME.md): every secret path of the library's
//! public API, run with the secret bytes marked undefined for Valgrind's memcheck.
//!
//! Run it with `bash ctgrind/run.sh` (it refuses to run outside Valgrind). Each path prints the
//! number of memcheck errors it caused; any error fails the run. `--self-test` runs planted leaks
//! instead (a table lookup and an early-exit compare on secret bytes), which must be caught, and
//! a constant-time control, which must not.
//!
//! What the harness declassifies itself: only what a path hands back to its caller and the
//! caller must look at (a parse's `Result`, a comparison's `bool`, the encoded token a server
//! sends), and only after the path returned. What the library declassifies inside a path (the
//! validity bits it must branch on) it does through its ctgrind hook, listed in
//! docs/CONSTANT_TIME.md; the harness installs that hook when built with
//! `--cfg recovery_token_ctgrind`.

mod paths;
mod vg;

use std::process::ExitCode;

/// One path: its name and the function that runs it.
pub type Path = (&'static str, fn());

fn run(paths: &[Path], filter: Option<&str>) -> Vec<(&'static str, u32)> {
    let mut counts = Vec::new();
    for (name, f) in paths {
        if filter.is_some_and(|w| !name.contains(w)) {
            continue;
        }
        let before = vg::errors();
        f();
        let errors = vg::errors().saturating_sub(before);
        println!("ctgrind path {name}: {errors} error(s)");
        counts.push((*name, errors));
    }
    counts
}

fn main() -> ExitCode {
    if !vg::on_valgrind() {
        eprintln!("ctgrind: not running under Valgrind; run `bash ctgrind/run.sh`");
        return ExitCode::from(2);
    }
    #[cfg(recovery_token_ctgrind)]
    recovery_token::__ctgrind::set_declassify_hook(|bytes| vg::public(bytes));

    let args: Vec<String> = std::env::args().skip(1).collect();
    let self_test = args.iter().any(|a| a == "--self-test");
    let filter = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map(String::as_str);

    if self_test {
        let counts = run(paths::PLANTED, filter);
        let mut ok = true;
        for (name, errors) in &counts {
            let planted = name.starts_with("planted");
            let caught = if planted { *errors > 0 } else { *errors == 0 };
            if !caught {
                ok = false;
                println!(
                    "ctgrind self-test FAILED: {name} had {errors} error(s), expected {}",
                    if planted { "at least one" } else { "none" }
                );
            }
        }
        if ok && counts.len() == paths::PLANTED.len() {
            println!("ctgrind self-test: every planted leak was caught, the control was clean");
            // Valgrind's --error-exitcode turns the planted errors into a failing exit status;
            // run.sh expects exactly that, plus this line.
            return ExitCode::SUCCESS;
        }
        return ExitCode::FAILURE;
    }

    let counts = run(paths::PATHS, filter);
    let total: u32 = counts.iter().map(|(_, e)| e).sum();
    println!(
        "ctgrind: {} path(s), {total} error(s) in {} of them",
        counts.len(),
        counts.iter().filter(|(_, e)| *e > 0).count()
    );
    if total == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
