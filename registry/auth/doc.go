// Package auth authenticates clients of mpakd and decides what they may do
// to which repositories: users from a bcrypt htpasswd file, a policy of
// actions per repository glob (as zot's accessControl), and the
// Docker/OCI token flow (another file).
//
// # Policy file
//
// The policy is YAML:
//
//	groups:
//	  maintainers: [alice, bob]
//	repositories:
//	  "**":                    # every repository
//	    anonymous: [read]
//	    authenticated: [read]  # any user who logged in
//	  "acme/**":
//	    policies:
//	      - users: [alice]
//	        groups: [maintainers]
//	        actions: [read, push]
//	    anonymous: []          # acme/* is private
//	admin:                     # applies to every repository, on top of the rules above
//	  users: [root]
//	  actions: [read, push, delete]
//
// Actions are read, push and delete. Globs match repository paths: "*"
// matches within one path component, "**" (a whole component) matches any
// number of components, including none; other characters match literally.
//
// For a repository only the most specific matching glob applies (the one
// with the longest literal prefix before its first wildcard; ties go to the
// longer pattern, then the lexically smaller one), as in zot: a private
// "acme/**" is not reopened by a public "**". Within that rule, anonymous
// clients get the anonymous actions; a user who logged in gets the
// anonymous and authenticated actions plus those of every policy naming
// the user or one of the user's groups. The admin grant adds its actions on
// every repository, matched or not. A repository no glob matches is closed
// to everyone but the admins.
//
// Groups used in policies must be defined under groups (possibly empty,
// for groups a caller adds to a Principal, such as an OIDC claim), so a
// typo in a group name is an error rather than a silent lock-out.
//
// # Reloading
//
// [Files] holds the current users and policy. [Files.Reload] re-reads both
// files and is what mpakd calls on SIGHUP; [Files.Watch] reloads when either
// file changes. A file that does not parse never replaces a good one.
package auth
