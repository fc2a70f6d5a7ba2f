// Package arm64 proves the shipped artefact: the linux/arm64 kiosk binary,
// run under qemu-aarch64-static as a Raspberry Pi would run it, starts,
// serves, stores a completion and keeps it across a restart.
package arm64
