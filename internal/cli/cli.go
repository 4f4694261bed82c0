package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Command is one subcommand. Run receives the arguments after its name and returns an error for
// anything the user can fix (a bad flag, a missing file).
type Command struct {
	Name    string
	Summary string
	Run     func(args []string) error
}

// Main runs the subcommand that os.Args names and exits: 2 with the usage when there is none or
// it is unknown, 1 with "program name: error" when it fails, and normally (0) otherwise,
// including after -h, when the command's flag set has printed its own usage.
func Main(program string, commands []Command) {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage(os.Stderr, program, commands)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	for _, c := range commands {
		if c.Name != os.Args[1] {
			continue
		}
		if err := c.Run(os.Args[2:]); err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "%s %s: %v\n", program, c.Name, err)
			os.Exit(1)
		}
		return
	}
	fmt.Fprintf(os.Stderr, "%s: unknown command %q\n\n", program, os.Args[1])
	usage(os.Stderr, program, commands)
	os.Exit(2)
}

func usage(w io.Writer, program string, commands []Command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", program)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags.\n", program)
}
