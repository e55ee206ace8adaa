package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted is what a secret prints as.
const Redacted = "[redacted]"

var (
	// scheme://user:password@ — the password of URL user-info, wherever it appears in text.
	userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"'<>]*:)[^@\s/"'<>]*@`)
	// password=… in a key=value DSN (quoted or not) or a URL query (up to the next &).
	passwordRE = regexp.MustCompile(`(?i)\b((?:ssl)?password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&"'<>]+)`)
)

// Redact returns text with every secret it may carry replaced by [redacted]: the password
// of URL user-info (postgres://user:pass@host), password= in a key=value DSN or a URL query,
// and, for each of secretURLs (URLs that are secrets as a whole, such as a webhook whose
// path or query holds its key), the path and the query wherever they appear. The scheme,
// host and user name stay, so the output still says where a connection goes. text may be a
// lone DSN or URL or a whole log line or error message.
func Redact(text string, secretURLs ...string) string {
	for _, s := range secretURLs {
		text = redactSecretURL(text, s)
	}
	text = userinfoRE.ReplaceAllString(text, "${1}"+Redacted+"@")
	return passwordRE.ReplaceAllString(text, "${1}"+Redacted)
}

// redactSecretURL replaces secret's path and query in text; the whole URL first, then the
// pieces, which an error message may print on their own or escaped differently.
func redactSecretURL(text, secret string) string {
	if secret == "" {
		return text
	}
	u, err := url.Parse(secret)
	if err != nil || u.Host == "" {
		return strings.ReplaceAll(text, secret, Redacted) // not a URL: all of it is secret
	}
	replacement := u.Scheme + "://"
	if u.User != nil {
		replacement += u.User.Username()
		if _, ok := u.User.Password(); ok {
			replacement += ":" + Redacted
		}
		replacement += "@"
	}
	replacement += u.Host
	if p := u.EscapedPath(); p != "" && p != "/" {
		replacement += "/" + Redacted
	}
	if u.RawQuery != "" || u.ForceQuery {
		replacement += "?" + Redacted
	}
	text = strings.ReplaceAll(text, secret, replacement)
	for _, piece := range []string{u.RawQuery, u.EscapedPath(), u.Path, u.Fragment} {
		if len(piece) > 1 {
			text = strings.ReplaceAll(text, piece, Redacted)
		}
	}
	return text
}
