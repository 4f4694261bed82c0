// Package cli is the command-line plumbing shared by zebra's commands (cyclegan, gradcheck,
// zebra-bench): a list of named subcommands with one-line summaries and a usage listing them; the
// exit codes a shell script can rely on (0 success, 1 a failed command, 2 a usage error, 128+N a
// stop by signal N); a version report (module version, VCS revision, Go version, SIMD path);
// flag usage printed under headings; and the command line that runs the program again as the
// user ran it, for the hints a command prints.
package cli
