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
//	trustedPublishers:         # CI jobs that log in with their OIDC token
//	  - subject: "repo:acme/weather:ref:refs/tags/*"
//	    claims:
//	      repository_owner: acme
//	    repositories: acme/weather
//	    actions: [push]
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
// # Trusted publishing
//
// As on PyPI and npm, a CI job may log in with the OIDC token its CI
// issues it (GitHub Actions' by default) as the password, with no secret
// stored in the CI at all; [Publishers] verifies the token. Each
// trustedPublishers entry says which jobs' tokens it accepts and what they
// may do:
//
//   - subject (required): a glob over the token's sub claim. "*" matches
//     any characters except ':', which separates the claim's parts, so a
//     wildcard never crosses into the next part: "repo:acme/*:ref:*" does
//     not match "repo:acme/x:environment:prod:ref:y". "**" is not allowed.
//   - claims: other claims the token must have, each equal to the value
//     given (booleans and numbers compare by their JSON text), such as
//     repository_owner, job_workflow_ref or environment.
//   - repositories (required): a repository glob, or a list of them.
//   - actions (required): read and/or push; push includes read. Trusted
//     publishers never delete.
//   - issuer: the token's iss must be this URL; by default any issuer
//     mpakd trusts (--auth-oidc-issuer), and a rule naming another never
//     matches.
//
// A token gets the repositories of every entry it matches, and the
// anonymous actions, as a robot token does: never the actions of users
// who logged in. A token no entry matches is refused. In GitHub Actions
// the job needs "permissions: id-token: write" and requests its token for
// mpakd's audience (--auth-oidc-audience, "mpakd" by default), then logs
// in with any username and the token as the password.
//
// # Reloading
//
// [Files] holds the current users and policy. [Files.Reload] re-reads both
// files and is what mpakd calls on SIGHUP; [Files.Watch] reloads when either
// file changes. A file that does not parse never replaces a good one.
package auth
