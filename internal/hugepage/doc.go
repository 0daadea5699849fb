// Package hugepage asks the kernel to back memory with transparent huge pages. Under Linux's
// common "madvise" mode only memory that asks gets them, and on the virtual machines riskflow
// is measured on, first touching memory in 4 KiB pages costs 13-15 µs a page: loading models
// is mostly writing fresh memory, and huge pages make it markedly cheaper (see the README's
// cold-start measurements). Advice changes nothing but the page size; where it is refused or
// means nothing (other systems), it is ignored.
package hugepage

// Size is the size of an x86-64 or arm64 transparent huge page.
const Size = 2 << 20
