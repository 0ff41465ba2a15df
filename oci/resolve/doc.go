// Package resolve chooses which tag of a repository a version query means.
//
// A bundle version is published as an OCI tag holding its exact semantic
// version. Users ask for "latest", an exact version, or a range such as
// "^1.2", and registries only know tags, so everything here is a pure function
// over a tag list: the caller lists tags (with any client) and pulls the tag
// Select returns. Keeping the network out makes the rules easy to test and
// identical for the client and the server.
package resolve
