package mcpb

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// The string formats below are the mcpb CLI's, not the RFCs': a bundle the
// CLI packs must validate here, and one it refuses must not pass a strict
// pack. The CLI checks them with Zod 3, whose url() is WHATWG `new URL()`
// and whose email() is a fixed pattern; both are re-stated here as code.

// checkEmail accepts what Zod's email() accepts: a local part of letters,
// digits and _ ' + - . (not starting or ending in a dot, nor ending in ')
// and a domain of letter-or-digit-led labels under a top-level domain of
// two letters or more. There are no quoted local parts, IP literals or
// Unicode domains (use the xn-- form).
func checkEmail(s string) string {
	bad := fmt.Sprintf("%q is not an email address (want name@example.com)", s)
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || strings.Contains(s, "..") || local[0] == '.' {
		return bad
	}
	for i, c := range local {
		last := i == len(local)-1
		if !isASCIIAlnum(c) && !strings.ContainsRune("_+-", c) && (last || (c != '.' && c != '\'')) {
			return bad
		}
	}
	labels := strings.Split(domain, ".")
	tld := labels[len(labels)-1]
	if len(labels) < 2 || len(tld) < 2 {
		return bad
	}
	for _, c := range tld {
		if !isASCIILetter(c) {
			return bad
		}
	}
	for _, l := range labels[:len(labels)-1] {
		if l == "" || !isASCIIAlnum(rune(l[0])) {
			return bad
		}
		for _, c := range l {
			if !isASCIIAlnum(c) && c != '-' {
				return bad
			}
		}
	}
	return ""
}

// checkURL accepts what WHATWG `new URL(s)` accepts without a base, which
// is more than RFC 3986: surrounding spaces, tabs inside, "http:host",
// backslashes for slashes and spaces in the path all parse. What fails is
// a missing scheme, a special scheme (http, https, ws, wss, ftp) without a
// host, a host with forbidden characters or a bad IP address, and a port
// that is not a number up to 65535. Unicode hosts are accepted without
// IDNA mapping, so a few the CLI refuses (disallowed code points) pass.
func checkURL(s string) string {
	s = whatwgClean(s)
	scheme, rest, ok := urlScheme(s)
	if !ok {
		return fmt.Sprintf("%q is not an absolute URL (want e.g. https://example.com/page)", s)
	}
	special := scheme == "http" || scheme == "https" || scheme == "ws" || scheme == "wss" || scheme == "ftp"
	switch {
	case scheme == "file":
		// file: URLs take almost anything, and hosts are rare.
		return ""
	case special:
		// Any run of slashes and backslashes introduces the authority.
		rest = strings.TrimLeft(rest, `/\`)
		authority, _, _ := cutAny(rest, `/\?#`)
		return checkAuthority(s, authority, true)
	case strings.HasPrefix(rest, "//"):
		authority, _, _ := cutAny(rest[2:], "/?#")
		return checkAuthority(s, authority, false)
	}
	return "" // an opaque path, as in mailto: or urn:
}

// urlScheme splits "scheme:rest"; a scheme is a letter followed by letters,
// digits, +, - and dots.
func urlScheme(s string) (scheme, rest string, ok bool) {
	for i, c := range s {
		switch {
		case isASCIILetter(c):
		case i > 0 && (isASCIIDigit(c) || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), s[i+1:], true
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// checkAuthority checks [userinfo@]host[:port].
func checkAuthority(url, authority string, special bool) string {
	hostPort := authority
	credentials := false
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		hostPort, credentials = authority[i+1:], true
	}
	host, port := hostPort, ""
	if strings.HasPrefix(hostPort, "[") {
		end := strings.IndexByte(hostPort, ']')
		if end < 0 {
			return fmt.Sprintf("%q has an unterminated IPv6 address", url)
		}
		host, port = hostPort[:end+1], hostPort[end+1:]
		if port != "" && port[0] != ':' {
			return fmt.Sprintf("%q has text after its IPv6 address %s", url, host)
		}
		port = strings.TrimPrefix(port, ":")
		if a, err := netip.ParseAddr(host[1 : len(host)-1]); err != nil || !a.Is6() || a.Zone() != "" {
			return fmt.Sprintf("%q has an invalid IPv6 address %s", url, host)
		}
	} else if h, p, ok := strings.Cut(hostPort, ":"); ok {
		host, port = h, p
	}
	if host == "" && (special || credentials || port != "") {
		return fmt.Sprintf("%q has no host (want e.g. https://example.com/page)", url)
	}
	for _, c := range port {
		if !isASCIIDigit(c) {
			return fmt.Sprintf("%q has an invalid port %q (want a number up to 65535)", url, port)
		}
	}
	if n, err := strconv.Atoi(strings.TrimLeft(port, "0")); port != "" && strings.TrimLeft(port, "0") != "" && (err != nil || n > 65535) {
		return fmt.Sprintf("%q has an invalid port %q (want a number up to 65535)", url, port)
	}
	if strings.HasPrefix(host, "[") {
		return ""
	}
	forbidden := " <>[\\]^|\x7f"
	if special {
		// Special hosts are domains: percent-escapes are decoded first,
		// and % itself is forbidden after that.
		host = percentDecode(host)
		forbidden += "#%/:?@"
	}
	for _, c := range host {
		if c < ' ' || strings.ContainsRune(forbidden, c) {
			return fmt.Sprintf("%q has an invalid host %q (a character such as %q is not allowed)", url, host, c)
		}
	}
	if special && !ipv4OK(strings.ToLower(host)) {
		return fmt.Sprintf("%q has an invalid IPv4 address %q", url, host)
	}
	return ""
}

// ipv4OK applies WHATWG's rule that a domain whose last label is a number
// is an IPv4 address, which must then be valid ("1.2.3.256" and
// "example.123" are not).
func ipv4OK(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	_, isNumber := ipv4Number(last)
	if !isNumber && (last == "" || strings.Trim(last, "0123456789") != "") {
		return true // an ordinary domain
	}
	if len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return false
		}
		if i < len(parts)-1 && n > 255 {
			return false
		}
		if i == len(parts)-1 && n >= 1<<(8*(5-len(parts))) {
			return false
		}
	}
	return true
}

// ipv4Number reads one part of an IPv4 address: decimal, 0x hex or
// 0-led octal.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case strings.HasPrefix(s, "0x"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		// Too large to count is still a number, and out of range.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 1 << 40, true
		}
		return 0, false
	}
	return n, true
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// cutAny splits s at the first byte of chars.
func cutAny(s, chars string) (before, after string, found bool) {
	if i := strings.IndexAny(s, chars); i >= 0 {
		return s[:i], s[i:], true
	}
	return s, "", false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
func isASCIILetter(c rune) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isASCIIDigit(c rune) bool  { return c >= '0' && c <= '9' }
func isASCIIAlnum(c rune) bool  { return isASCIILetter(c) || isASCIIDigit(c) }
