package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/oci/connect"
)

func (a *App) loginCommand() *cobra.Command {
	var username, password string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login HOST",
		Short: "Store registry credentials in the docker credential store",
		Long: "Checks the credentials against HOST and saves them where docker, oras and crane read them\n" +
			"(the docker config file or its credential helper). For GHCR use a personal access token with\n" +
			"write:packages; for Harbor a user or robot account.",
		Example: "  echo $GITHUB_TOKEN | mpak login ghcr.io -u octocat --password-stdin",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if passwordStdin {
				line, err := bufio.NewReader(a.Stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("reading the password from stdin: %w", err)
				}
				password = strings.TrimRight(line, "\r\n")
			}
			if password == "" {
				return fmt.Errorf("no password given: use --password-stdin (or -p, which leaves it in shell history)")
			}
			if err := connect.Login(cmd.Context(), args[0], username, password, a.Remote); err != nil {
				return err
			}
			a.Infof("Login succeeded for %s", args[0])
			return nil
		},
	}
	cmd.Flags().StringVarP(&username, "username", "u", "", "user name (empty: the password is an identity token)")
	cmd.Flags().StringVarP(&password, "password", "p", "", "password or token")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from stdin")
	return cmd
}

func (a *App) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout HOST",
		Short: "Remove stored registry credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := connect.Logout(cmd.Context(), args[0], a.Remote); err != nil {
				return err
			}
			a.Infof("Removed credentials for %s", args[0])
			return nil
		},
	}
}
