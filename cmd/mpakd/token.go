package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/registry/auth"
)

// tokenCommand is mpakd token: robot tokens for CI, kept in the catalog
// database so that every replica honours them and a revocation holds at
// once.
func tokenCommand(f *serveFlags, addStoreFlags func(*cobra.Command)) *cobra.Command {
	token := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke robot tokens (credentials for CI)",
		Long: "A robot token is a password for CI: it may read, and with --push push, the repositories its\n" +
			"--scope matches, and nothing else, whatever the policy gives users. Log in with any username\n" +
			"(by convention the token's name) and the secret as the password. mpakd keeps only a hash of it.",
		Args: cobra.NoArgs,
	}

	var (
		name, scope, ttl string
		push             bool
	)
	create := &cobra.Command{
		Use:   "create --name NAME --scope GLOB [--push] [--ttl 90d]",
		Short: "Create a robot token and print its secret, once",
		Example: "  mpakd token create --name ci --scope 'acme/*' --push --ttl 90d > ci-token\n" +
			"  mpak login registry.example -u ci --password-stdin < ci-token",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRobotStore(cmd.Context(), f, func(rs auth.RobotStore) error {
				return createRobotToken(cmd, rs, name, scope, ttl, push)
			})
		},
	}
	addStoreFlags(create)
	create.Flags().StringVar(&name, "name", "", "the token's name, which CI uses as its username (letters, digits, '.', '_', '-')")
	create.Flags().StringVar(&scope, "scope", "", "repositories the token reaches, a glob as in the policy: 'acme/*' (one level), 'acme/**' (all below)")
	create.Flags().BoolVar(&push, "push", false, "let the token push as well as read")
	create.Flags().StringVar(&ttl, "ttl", "", "lifetime: a duration (720h) or days (90d); empty or 0 never expires")

	list := &cobra.Command{
		Use:   "list",
		Short: "List robot tokens, revoked and expired ones too (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withRobotStore(cmd.Context(), f, func(rs auth.RobotStore) error {
				tokens, err := rs.RobotTokens(cmd.Context())
				if err != nil {
					return err
				}
				if len(tokens) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "no robot tokens: create one with mpakd token create --name NAME --scope GLOB")
					return nil
				}
				printRobotTokens(cmd.OutOrStdout(), tokens, time.Now())
				return nil
			})
		},
	}
	addStoreFlags(list)

	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a robot token: it stops working at once, on every replica",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withRobotStore(cmd.Context(), f, func(rs auth.RobotStore) error {
				err := rs.RevokeRobotToken(cmd.Context(), args[0], time.Now().UTC())
				if errors.Is(err, auth.ErrRobotNotFound) {
					return fmt.Errorf("no unrevoked robot token named %q: mpakd token list shows them", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "revoked robot token %q: it no longer logs in\n", args[0])
				return nil
			})
		},
	}
	addStoreFlags(revoke)

	token.AddCommand(create, list, revoke)
	return token
}

// withRobotStore opens the catalog the store flags name.
func withRobotStore(ctx context.Context, f *serveFlags, run func(auth.RobotStore) error) error {
	store, err := openStore(ctx, f.db, f.data)
	if err != nil {
		return err
	}
	defer store.Close()
	rs, ok := store.(auth.RobotStore)
	if !ok {
		return fmt.Errorf("the catalog store (%T) cannot keep robot tokens: use SQLite (--data) or PostgreSQL (--db)", store)
	}
	return run(rs)
}

func createRobotToken(cmd *cobra.Command, rs auth.RobotStore, name, scope, ttlFlag string, push bool) error {
	if name == "" {
		return errors.New("--name is required: the token's name, which CI gives as its username")
	}
	if scope == "" {
		return errors.New("--scope is required: the repositories the token reaches, as a glob such as 'acme/*' or 'acme/**'")
	}
	// Checked here to name the flag; NewRobotToken checks it again.
	if _, err := auth.NewGrant(scope, auth.ActionRead); err != nil {
		return fmt.Errorf("--scope %q: %v", scope, err)
	}
	ttl, err := parseTokenTTL(ttlFlag)
	if err != nil {
		return err
	}
	t, err := auth.NewRobotToken(name, scope, push, time.Now().UTC(), ttl)
	if err != nil {
		return fmt.Errorf("--name: %v", err)
	}
	secret, hash, err := auth.NewRobotSecret()
	if err != nil {
		return err
	}
	err = rs.CreateRobotToken(cmd.Context(), t, hash)
	if errors.Is(err, auth.ErrRobotExists) {
		return fmt.Errorf("a robot token named %q is active: revoke it first (mpakd token revoke %s), or choose another --name", name, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), secret)
	expires := "never expires"
	if !t.ExpiresAt.IsZero() {
		expires = "expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "\nCreated robot token %q: %s on %s; %s.\n"+
		"This is the only time the secret is shown: mpakd keeps only its hash. Store it as a CI secret and log in with\n"+
		"  mpak login HOST -u %s --password-stdin\n"+
		"(or docker, oras, crane or regctl login, the same way).\n",
		name, tokenActions(t.Actions), scope, expires, name)
	return nil
}

// parseTokenTTL reads --ttl: a Go duration, or whole days with a d suffix,
// which Go's durations lack and token lifetimes are counted in.
func parseTokenTTL(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("--ttl %q: use a duration such as 720h or 30m, or days such as 90d; leave it out (or 0) for a token that never expires", s)
	}
	if s == "" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return bad()
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < 0 {
			return bad()
		}
	}
	return d, nil
}

// printRobotTokens writes the table of mpakd token list. It has no column
// for secrets or hashes: the store returns neither.
func printRobotTokens(w io.Writer, tokens []auth.RobotToken, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSCOPE\tACTIONS\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
	for _, t := range tokens {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Scope, tokenActions(t.Actions),
			tokenListTime(t.CreatedAt, ""), tokenListTime(t.ExpiresAt, "never"), tokenListTime(t.LastUsedAt, "never"), t.Status(now))
	}
	tw.Flush()
}

func tokenListTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func tokenActions(as []auth.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}
