// cli.go owns the subcommands that work on a database file while the server
// is stopped: adding users, changing passwords and listing accounts. A
// server holding the file makes them fail within openTimeout, never hang.

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

func userCommand(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("user: missing subcommand (add, passwd or list)\n\n%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dbPath := fs.String("db", envOr("HEARTH_DB", "hearth.db"), "database file (env HEARTH_DB)")
	admin := false
	if sub == "add" {
		fs.BoolVar(&admin, "admin", false, "make the user an admin")
	}
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}

	switch sub {
	case "add", "passwd":
		if len(names) != 1 {
			return fmt.Errorf("user %s: want exactly one NAME, got %d", sub, len(names))
		}
		name := names[0]
		password, err := readPassword(stdin)
		if err != nil {
			return err
		}
		if sub == "add" {
			u, err := newUser(name, password, admin)
			if err != nil {
				return fmt.Errorf("user add: %w", err)
			}
			return withStore(*dbPath, true, func(st *store) error {
				if err := st.createUser(u); err != nil {
					return fmt.Errorf("user add %s: %w", name, err)
				}
				role := "user"
				if admin {
					role = "admin"
				}
				fmt.Fprintf(stdout, "added %s %s\n", role, name)
				return nil
			})
		}
		if err := validPassword(password); err != nil {
			return fmt.Errorf("user passwd: %w", err)
		}
		hash, err := hashPassword(password)
		if err != nil {
			return err
		}
		return withStore(*dbPath, false, func(st *store) error {
			ended, err := st.setPassword(name, hash)
			if err != nil {
				return fmt.Errorf("user passwd %s: %w", name, err)
			}
			fmt.Fprintf(stdout, "changed the password of %s and ended %d sessions (every device logs in again)\n", name, len(ended))
			return nil
		})
	case "list":
		if len(names) != 0 {
			return fmt.Errorf("user list: unexpected argument %q", names[0])
		}
		return withStore(*dbPath, false, func(st *store) error {
			users, err := st.listUsers()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tADMIN\tCREATED")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%v\t%s\n", u.Name, u.Admin, u.Created.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		})
	}
	return fmt.Errorf("user: unknown subcommand %q (want add, passwd or list)", sub)
}

// parseInterleaved parses flags that may come before or after the
// positional arguments ("user add NAME -db x" as well as "user add -db x
// NAME") and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// readPassword reads the first line of r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("reading the password from the first line of standard input: none given")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// withStore opens the database for one command and closes it after. Only
// "user add" may create a new database; the others need an existing file.
func withStore(path string, mayCreate bool, fn func(*store) error) error {
	if !mayCreate {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no database at %s: %w", path, err)
		}
	}
	st, err := openStore(path)
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		st.Close()
		return err
	}
	return st.Close()
}
