// Package cli is the subcommand dispatch shared by zebra's commands (cyclegan, zbench): a list of
// named commands with one-line summaries, a usage listing them, and the exit codes a shell
// script can rely on (2 for a usage error, 1 for a failed command).
package cli
