/* Valgrind's client requests as functions Rust can call. Outside Valgrind each request is a
 * no-op sequence of instructions (RUNNING_ON_VALGRIND is 0 there). */
#include <stddef.h>
#include <valgrind/memcheck.h>

/* Mark `len` bytes at `ptr` as undefined: memcheck reports any branch, conditional move or
 * address computed from them. */
void ct_secret(const void *ptr, size_t len) { (void)VALGRIND_MAKE_MEM_UNDEFINED(ptr, len); }

/* Mark `len` bytes at `ptr` as defined again: the declassification of a public value. */
void ct_public(const void *ptr, size_t len) { (void)VALGRIND_MAKE_MEM_DEFINED(ptr, len); }

/* Errors memcheck has reported so far (every occurrence, also repeats of one context). */
unsigned ct_error_count(void) { return VALGRIND_COUNT_ERRORS; }

/* Non-zero under Valgrind. */
unsigned ct_on_valgrind(void) { return RUNNING_ON_VALGRIND; }
