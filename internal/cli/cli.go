package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Command is one subcommand. Run receives the arguments after its name and returns an error for
// anything the user can fix (a bad flag, a missing file). A *UsageError exits 2, an *ExitError
// its own status, any other error 1.
type Command struct {
	Name    string
	Summary string
	Run     func(args []string) error
}

// Exit statuses that Main uses. Those of a stop by a signal are 128 plus the signal's number, as
// a shell reports a process that the signal killed.
const (
	ExitOK      = 0
	ExitFailure = 1 // the command ran and failed
	ExitUsage   = 2 // the command was called wrongly: the flag package's convention
)

// UsageError is an error in how a command was invoked: an unknown flag, a flag value that does
// not parse or is out of range, an unexpected argument. Main prints it with a pointer to the
// command's -h and exits 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExitError asks Main to exit with Code, printing Err first unless it is nil: a command that has
// already said what happened (training stopped by Ctrl-C, saved) and only needs the status.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Parse parses args with fs and returns a *UsageError when they do not parse, or flag.ErrHelp
// after -h, when fs has printed its usage. On a parse error fs's usage is not printed: it would
// push the one line that matters off the screen, and Main points to -h instead.
func Parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	var discard strings.Builder
	fs.SetOutput(&discard)
	usage := fs.Usage
	helped := false
	fs.Usage = func() {
		helped = true
	}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp) && helped:
		if fs.Usage != nil {
			fs.Usage()
		} else {
			fs.PrintDefaults()
		}
		return err
	case err != nil:
		return &UsageError{Err: err}
	}
	return nil
}

// Main runs the subcommand that os.Args names and exits with the status that run returns.
func Main(program string, commands []Command) {
	if code := run(program, commands, os.Args[1:], os.Stdout, os.Stderr); code != ExitOK {
		os.Exit(code)
	}
}

// run dispatches args to a command and returns the exit status:
//
//	0  the command succeeded, or printed its usage after -h; "version" and "help" too
//	1  the command failed: "program command: error" on stderr
//	2  a usage error: no command, an unknown one, or a *UsageError (a bad flag or argument)
//	N  a command's *ExitError{Code: N}, such as 130 after Ctrl-C
func run(program string, commands []Command, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr, program, commands)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout, program, commands)
		return ExitOK
	case "version", "-version", "--version":
		fmt.Fprint(stdout, Version(program))
		return ExitOK
	}
	for _, c := range commands {
		if c.Name != args[0] {
			continue
		}
		return report(stderr, program+" "+c.Name, c.Run(args[1:]))
	}
	fmt.Fprintf(stderr, "%s: unknown command %q\n\n", program, args[0])
	usage(stderr, program, commands)
	return ExitUsage
}

// report prints err, if any, after "program command: " and returns the exit status it calls for.
func report(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		if exit.Err != nil {
			fmt.Fprintf(stderr, "%s: %s\n", name, message(name, exit.Err))
		}
		return exit.Code
	}
	fmt.Fprintf(stderr, "%s: %s\n", name, message(name, err))
	var usageErr *UsageError
	if errors.As(err, &usageErr) || isFlagError(err) {
		fmt.Fprintf(stderr, "Run '%s -h' for its flags.\n", name)
		return ExitUsage
	}
	return ExitFailure
}

// message is err's text without a leading "program: " or "command: ", which name prints
// already. A package prefixes its errors with its name, and some packages are named as the
// program or the command that uses them: "cyclegan train: cyclegan: data root: ..." and
// "cyclegan download: download: GET ..." would say it twice.
func message(name string, err error) string {
	msg := err.Error()
	for _, word := range strings.Fields(name) {
		msg = strings.TrimPrefix(msg, word+": ")
	}
	return msg
}

// flagErrorPrefixes are how the errors of flag.FlagSet.Parse begin (flag.go, failf). The flag
// package gives them no type, and the commands that call fs.Parse themselves (zebra-bench's) return
// them as they are; TestFlagErrorsAreRecognized keeps this list honest when Go changes them.
var flagErrorPrefixes = []string{
	"flag provided but not defined: ",
	"bad flag syntax: ",
	"flag needs an argument: ",
	"invalid value ",
	"invalid boolean value ",
	"invalid boolean flag ",
}

// isFlagError reports whether err is an error of flag.FlagSet.Parse, returned unwrapped.
func isFlagError(err error) bool {
	for _, p := range flagErrorPrefixes {
		if strings.HasPrefix(err.Error(), p) {
			return true
		}
	}
	return false
}

func usage(w io.Writer, program string, commands []Command) {
	fmt.Fprintf(w, "usage: %s <command> [flags]\n\ncommands:\n", program)
	width := len("version")
	for _, c := range commands {
		width = max(width, len(c.Name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.Name, c.Summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "version", "print the version, the Go version and the SIMD path")
	fmt.Fprintf(w, "\nRun '%s <command> -h' for a command's flags.\n", program)
}
