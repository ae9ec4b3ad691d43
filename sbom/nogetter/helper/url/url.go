// Package url is the stand-in for go-getter's helper/url.
package url

import "net/url"

// Parse parses rawURL like net/url.Parse.
func Parse(rawURL string) (*url.URL, error) { return url.Parse(rawURL) }
