package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// FlagGroup is a heading in a command's usage and the flags listed under it, in that order.
type FlagGroup struct {
	Title string
	Names []string
}

// CheckFlagGroups reports a flag of fs that no group lists or that two list, and a name listed
// that fs does not define: a test of each command calls it, so that a new flag cannot go missing
// from -h.
func CheckFlagGroups(fs *flag.FlagSet, groups []FlagGroup) error {
	listed := map[string]string{}
	for _, g := range groups {
		for _, name := range g.Names {
			if fs.Lookup(name) == nil {
				return fmt.Errorf("group %q lists -%s, which %s does not define", g.Title, name, fs.Name())
			}
			if other, ok := listed[name]; ok {
				return fmt.Errorf("-%s is listed in both %q and %q", name, other, g.Title)
			}
			listed[name] = g.Title
		}
	}
	var missing []string
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := listed[f.Name]; !ok {
			missing = append(missing, "-"+f.Name)
		}
	})
	if len(missing) > 0 {
		return fmt.Errorf("%s defines %s, which no group lists", fs.Name(), strings.Join(missing, " "))
	}
	return nil
}

// PrintFlagGroups writes fs's flags under the groups' headings, each as flag.PrintDefaults
// writes it. A flag that no group lists still appears, under "other", so that -h never hides one.
func PrintFlagGroups(w io.Writer, fs *flag.FlagSet, groups []FlagGroup) {
	listed := map[string]bool{}
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s:\n", g.Title)
		for _, name := range g.Names {
			if f := fs.Lookup(name); f != nil {
				printFlag(w, f)
				listed[name] = true
			}
		}
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if listed[f.Name] {
			return
		}
		if first {
			fmt.Fprint(w, "\nother:\n")
			first = false
		}
		printFlag(w, f)
	})
}

// printFlag writes one flag as flag.PrintDefaults does: the name and the value's kind, then the
// usage on an indented line, with the default unless it is the zero value.
func printFlag(w io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	line := "  -" + f.Name
	if kind != "" {
		line += " " + kind
	}
	usage = strings.ReplaceAll(usage, "\n", "\n    \t")
	fmt.Fprintf(w, "%s\n    \t%s", line, usage)
	if !isZeroDefault(f) {
		if isString(f) {
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		} else {
			fmt.Fprintf(w, " (default %v)", f.DefValue)
		}
	}
	fmt.Fprintln(w)
}

// isString reports whether f holds a string, whose default PrintDefaults quotes.
func isString(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(string)
	return ok
}

// isZeroDefault reports whether f's default is its type's zero value, which PrintDefaults leaves
// out. The flag package compares with a zero value of the flag's type; the strings of the
// standard types' zero values are these.
func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "0s":
		return true
	}
	return false
}
