// Command zebra-bench measures how fast zebra runs on this machine, against the machine's own peak.
//
// Usage:
//
//	zebra-bench <command> [flags]
//
// Each command lives in its own file and registers itself in an init function, so adding one
// touches no other file. Run `zebra-bench help` for the list.
package main
