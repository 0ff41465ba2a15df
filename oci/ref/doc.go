// Package ref parses the references users type to name a bundle version.
//
// Two spellings are accepted. The mpak form, "@scope/name[@version]", is what
// users of npm expect; it is mapped onto a repository through the configured
// default registry and namespace (MPAK_REGISTRY). The OCI form,
// "host[:port]/repository[:tag][@digest]", is what oras, crane and docker
// accept and always works, so any registry can be used without configuration.
//
// A Reference keeps what the user asked for, including unresolved ranges such
// as "^1.2"; package resolve turns that into a tag once the tags are listed.
package ref
