//! Compiles shim.c: Valgrind's client requests (macros in valgrind/memcheck.h) as C functions.
fn main() {
    println!("cargo:rerun-if-changed=shim.c");
    cc::Build::new()
        .file("shim.c")
        .opt_level(2)
        .compile("ctgrind_shim");
}
